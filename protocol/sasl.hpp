// SASL mechanism message formats used by SMTP AUTH (RFC 4954).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailactor::protocol {

struct Credentials {
  std::string authzid;  // empty: act as the authenticated user
  std::string user;     // authcid
  std::string secret;
};

// RFC 4616: [authzid] NUL authcid NUL passwd, both of the latter non-empty, no further NUL.
std::optional<Credentials> parse_sasl_plain(std::string_view decoded);

}  // namespace mailactor::protocol
