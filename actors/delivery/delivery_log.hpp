// The log line of one recipient's delivery attempt, as an operator used to Postfix's mail.log
// greps for it: the queue id first, then
//   to=<final>, orig_to=<as given>, route=R, relay=HOST, delay=S, attempts=N, dsn=X.Y.Z,
//   status=sent|deferred|bounced|expired (the reply)
// orig_to only when it differs from to; relay only when a host answered.
#pragma once

#include <cstdint>
#include <string>

#include "storage/routed_recipient.hpp"

namespace mailactor::actors {

std::string delivery_log_line(const std::string& id, const storage::RoutedRecipient& routed,
                              int64_t attempts, const storage::DeliveryResult& result,
                              int64_t received_at, int64_t now);

}  // namespace mailactor::actors
