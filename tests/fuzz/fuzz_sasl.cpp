// libFuzzer target: base64 (RFC 4648) and SASL PLAIN (RFC 4616) decoding as AUTH uses them.
// Decoding what was encoded gives the bytes back; decoded text that is not base64 is refused.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/base64.hpp"
#include "protocol/sasl.hpp"

using namespace mailactor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto round = base64_decode(base64_encode(bytes));
  if (!round || *round != bytes) std::abort();
  if (auto decoded = base64_decode(bytes)) {
    if (base64_decode(base64_encode(*decoded)) != decoded) std::abort();
    if (auto c = parse_sasl_plain(*decoded)) {
      if (c->user.find('\0') != std::string::npos) std::abort();
    }
  }
  (void)parse_sasl_plain(bytes);
  return 0;
}
