// Strict RFC 4648 base64, as SASL (RFC 4954) uses it: padding required, no whitespace.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailactor::protocol {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mailactor::protocol
