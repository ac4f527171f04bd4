// libFuzzer target: whatever Authorization header anyone who reaches the metrics listener sends.
// Only the exact token or the exact password (after any user name) grants access; a header that
// grants access still does when the secret is one byte different.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "app/web/access.hpp"

using mailactor::app::web::authorized;
using mailactor::app::web::WebAccess;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string header(reinterpret_cast<const char*>(data), size);
  header.resize(std::strlen(header.c_str()));  // a header reaches us as a C string (civetweb)
  const WebAccess access{"t0k3n", "pw", true, false};
  if (!authorized(access, header.c_str())) return 0;
  const std::string bearer = "Bearer t0k3n";
  if (header == bearer) return 0;
  if (header.rfind("Basic ", 0) != 0) std::abort();  // only the two schemes grant anything
  // A granting basic header must fail against a different password.
  if (authorized(WebAccess{"", "pX", true, false}, header.c_str())) std::abort();
  return 0;
}
