// libFuzzer target: a hostile auth service's answer. The first two bytes pick the HTTP status;
// the rest is the body. Only a 200 logs in, and a canonical user is always printable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "actors/auth/http_answer.hpp"

using namespace mailactor::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  long status = (data[0] << 8 | data[1]) % 600;
  std::string_view body(reinterpret_cast<const char*>(data) + 2, size - 2);
  auth_result a = interpret_http_auth_answer(status, body);
  if (a.get() == auth_status::ok && status != 200) std::abort();
  if (a.get() == auth_status::invalid && status != 401 && status != 403) std::abort();
  for (unsigned char c : a.canonical_user)
    if (c <= 0x20 || c >= 0x7f) std::abort();
  return 0;
}
