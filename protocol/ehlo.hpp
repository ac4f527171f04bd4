// What a server offers in its EHLO reply (RFC 5321 §4.1.1.1: one keyword per line after the
// first, with parameters), as the SMTP client needs it. Unknown keywords are ignored; a
// malformed parameter (SIZE=abc) counts as not offered.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/reply.hpp"

namespace mailactor::protocol {

struct EhloCapabilities {
  bool pipelining = false;
  bool starttls = false;
  bool eightbitmime = false;
  bool smtputf8 = false;
  bool dsn = false;
  bool enhanced_status = false;
  bool size_offered = false;
  uint64_t max_size = 0;          // SIZE's parameter; 0: no limit stated
  std::vector<std::string> auth;  // mechanisms, upper case
  bool offers_auth(const std::string& mechanism) const;
  // False when the message's size is over the stated limit (RFC 1870).
  bool accepts_size(uint64_t bytes) const { return max_size == 0 || bytes <= max_size; }
};

// From a 250 reply to EHLO; any other reply (HELO fallback) offers nothing.
EhloCapabilities parse_ehlo(const Reply& r);

}  // namespace mailactor::protocol
