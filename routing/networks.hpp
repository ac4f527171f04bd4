// A list of client networks ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"), for policy that trusts
// some clients by their address, such as relaying for hosts on the operator's own networks.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailactor::routing {

class Networks {
 public:
  // nullopt and a reason in *error for an entry that is not ADDRESS or ADDRESS/PREFIX.
  static std::optional<Networks> parse(const std::vector<std::string>& entries, std::string* error);

  // Whether the textual address (as a socket reports it, IPv4-mapped IPv6 included) is inside.
  bool contains(const std::string& address) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    std::array<uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6, so one comparison serves both
    unsigned prefix = 128;
  };
  std::vector<Net> nets_;
};

// A host name or address that can only mean this machine: "localhost", 127.0.0.0/8 and ::1
// (also bracketed, "[::1]", as URLs write it).
bool is_loopback_host(const std::string& host);

}  // namespace mailactor::routing
