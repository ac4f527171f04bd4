// The JSON of /trace.json (documented in docs/trace.md): one message's trace from the recent ring
// and what the queue holds about it, or the list a search found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/queue_reader.hpp"
#include "trace/trace.hpp"

namespace mailactor::trace {

// What the queue holds about a message (absent: not in the queue, or no queue here).
struct QueuedView {
  storage::QueueEntry entry;
  std::vector<storage::RecipientRow> recipients;
};

// {"id", "recent", "from", "rcpt", "client", "events": [{"at", "at_us", "step", "detail",
//  "source"}], "events_dropped", "queue": {envelope..., "state", "delivered_at", "recipients"}}.
// Without a recent trace the events are what the queue recorded (source "queue").
std::string trace_json(const std::string& id, const Record* recent,
                       const std::optional<QueuedView>& queued);

// {"messages": [{"id", "from", "rcpt", "client", "first_at", "last_at", "last_step",
//  "last_detail"}]}, newest first.
std::string search_json(const std::vector<Record>& found);

// The steps the queue alone can tell: received (with the connection's facts) and each
// recipient's last attempt.
std::vector<Event> events_from_queue(const QueuedView& q);

// "2026-11-29T02:51:00.123456Z"
std::string rfc3339_us(int64_t unix_us);

}  // namespace mailactor::trace
