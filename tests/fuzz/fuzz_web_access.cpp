// libFuzzer target: whatever Authorization header anyone who reaches the metrics listener sends.
// Only the exact token or the exact password (after any user name) grants access; a header that
// grants access still does when the secret is one byte different. The same bytes as a Host
// header: a name that is not an IP literal, localhost or a configured name is never answered
// (DNS rebinding), so an allowed Host never has a letter that none of those has.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "app/web/access.hpp"

using mailactor::app::web::authorized;
using mailactor::app::web::host_allowed;
using mailactor::app::web::WebAccess;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string header(reinterpret_cast<const char*>(data), size);
  header.resize(std::strlen(header.c_str()));  // a header reaches us as a C string (civetweb)
  const WebAccess access{"t0k3n", "pw", true, false, {"mx.test"}};
  if (host_allowed(access, header.c_str())) {
    // IPv4/IPv6 literals, ports, "localhost", "mx.test": nothing else can spell an allowed host.
    for (char c : header)
      if (!std::strchr("0123456789abcdefABCDEF:.[]locahstLOCAHSTmMxX", c)) std::abort();
  }
  if (!authorized(access, header.c_str())) return 0;
  const std::string bearer = "Bearer t0k3n";
  if (header == bearer) return 0;
  if (header.rfind("Basic ", 0) != 0) std::abort();  // only the two schemes grant anything
  // A granting basic header must fail against a different password.
  if (authorized(WebAccess{"", "pX", true, false, {}}, header.c_str())) std::abort();
  return 0;
}
