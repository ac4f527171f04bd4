// A spool operation's answer, and the replies the spool path gives on its own. Plain data: the
// session's transaction logic uses it without CAF; messages.hpp makes it a CAF message type.
#pragma once

#include <cstdint>
#include <string>

namespace mailactor::actors {

// The reply text when no spool node can take or finish a transaction (451 4.3.0): no node
// reachable at MAIL, or the link to the transaction's node lost.
inline constexpr const char* kSpoolUnavailableText =
    "Queue temporarily unavailable, try again later";

// ok, or the SMTP reply the session should give.
struct spool_reply {
  bool ok = true;
  uint64_t size = 0;  // commit: octets stored
  int code = 0;
  std::string status;
  std::string text;
};

// 451 4.3.0 for a spool operation that failed without a more telling reason.
inline spool_reply spool_local_error() {
  return spool_reply{false, 0, 451, "4.3.0", "Local error in processing"};
}

// 451 4.3.0 when the link to the transaction's spool node is lost.
inline spool_reply spool_link_lost() {
  return spool_reply{false, 0, 451, "4.3.0", kSpoolUnavailableText};
}

}  // namespace mailactor::actors
