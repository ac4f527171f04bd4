#include "protocol/sasl.hpp"

namespace mailactor::protocol {

std::optional<Credentials> parse_sasl_plain(std::string_view decoded) {
  size_t first = decoded.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = decoded.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  if (decoded.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
  Credentials c;
  c.authzid = std::string(decoded.substr(0, first));
  c.user = std::string(decoded.substr(first + 1, second - first - 1));
  c.secret = std::string(decoded.substr(second + 1));
  if (c.user.empty() || c.secret.empty()) return std::nullopt;
  return c;
}

}  // namespace mailactor::protocol
