// The bounce for recipients that failed for good or expired (or the success notice for ones
// delivered with NOTIFY=SUCCESS, RFC 3461): an RFC 3464 report to the original sender (the
// original's headers only with RET=HDRS, its ENVID and each ORCPT in it), routed like any message
// (a remote sender's bounce waits in the queue as "relay" until outbound delivery exists). None for
// the null sender or a looping message (more than 50 Received: fields); a sender the router refuses
// gets none either (a double bounce, logged). Plain C++: the deliverer calls it, the writer queues
// what it returns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "routing/router.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {

struct BouncedRecipient {
  storage::RoutedRecipient routed;
  storage::DeliveryResult result;
};

struct BounceDecision {
  queued_bounce bounce;  // meta.id empty: no bounce
  std::string why_not;   // for the log, when there is none
};

BounceDecision make_bounce(const storage::QueueReader& reader, const routing::Router& router,
                           const std::string& hostname, const storage::MessageMeta& original,
                           const std::vector<BouncedRecipient>& failed, int64_t now);
// Whether a recipient asked to hear of this result from us (NOTIFY; none given: failures only;
// not when the next hop took NOTIFY on).
bool wants_notice(const std::string& notify, const storage::DeliveryResult& result);

}  // namespace mailactor::actors
