#include "protocol/actions.hpp"

namespace mailactor::protocol {

const char* to_string(BodyType b) {
  switch (b) {
    case BodyType::seven_bit:
      return "7BIT";
    case BodyType::eight_bit_mime:
      return "8BITMIME";
    case BodyType::binary_mime:
      return "BINARYMIME";
    case BodyType::unspecified:
      break;
  }
  return "";
}

std::string Envelope::with_protocol() const {
  if (!esmtp) return "SMTP";
  std::string p = "ESMTP";
  if (tls) p += 'S';
  if (!auth_user.empty()) p += 'A';
  return p;
}

}  // namespace mailactor::protocol
