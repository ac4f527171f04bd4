#include "routing/networks.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace mailactor::routing {
namespace {

constexpr unsigned kMappedPrefix = 96;  // ::ffff:a.b.c.d

std::optional<std::array<uint8_t, 16>> parse_address(const std::string& text, bool* is_v4) {
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    *is_v4 = true;
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.data()) == 1) {
    *is_v4 = false;
    return out;
  }
  return std::nullopt;
}

bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b,
                 unsigned prefix) {
  unsigned whole = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<Networks> Networks::parse(const std::vector<std::string>& entries,
                                        std::string* error) {
  Networks list;
  for (const auto& entry : entries) {
    auto slash = entry.find('/');
    bool is_v4 = false;
    auto bytes = parse_address(entry.substr(0, slash), &is_v4);
    if (!bytes) {
      *error = "\"" + entry + "\" is not an IPv4 or IPv6 address or network";
      return std::nullopt;
    }
    unsigned max = is_v4 ? 32 : 128, prefix = max;
    if (slash != std::string::npos) {
      std::string digits = entry.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos || std::stoul(digits) > max) {
        *error = "\"" + entry + "\": the prefix length must be 0 to " + std::to_string(max);
        return std::nullopt;
      }
      prefix = static_cast<unsigned>(std::stoul(digits));
    }
    Net net{*bytes, is_v4 ? prefix + kMappedPrefix : prefix};
    list.nets_.push_back(net);
  }
  return list;
}

bool Networks::contains(const std::string& address) const {
  bool is_v4 = false;
  auto bytes = parse_address(address, &is_v4);
  if (!bytes) return false;
  for (const auto& net : nets_)
    if (same_prefix(net.bytes, *bytes, net.prefix)) return true;
  return false;
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace mailactor::routing
