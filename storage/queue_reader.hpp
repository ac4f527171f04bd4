// The read side of the queue: the deliverer's and the `mailactor queue` CLI's own connection.
// WAL mode lets it read while the writer writes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/message_meta.hpp"
#include "storage/routed_recipient.hpp"
#include "storage/sqlite.hpp"

namespace mailactor::storage {

struct QueueEntry {
  MessageMeta meta;
  MessageState state = MessageState::queued;
  std::optional<int64_t> delivered_at;
};

class QueueReader {
 public:
  // Opens queue file `file` of the spool (queue_files.hpp; 0: queue.db), which must exist.
  explicit QueueReader(const std::string& spool_dir, size_t file = 0);

  std::vector<QueueEntry> list(std::optional<MessageState> state = std::nullopt,
                               size_t limit = 0) const;
  std::optional<QueueEntry> get(const std::string& id) const;
  // The message's final recipients and their delivery state, in RCPT order.
  std::vector<RecipientRow> recipients(const std::string& id) const;
  // Streams the stored content chunk by chunk; false when the message has no content (left).
  bool content(const std::string& id, const std::function<void(std::string_view)>& sink) const;
  // Queued (undelivered) ids in arrival order, after `after` (exclusive), at most `limit`.
  std::vector<std::string> queued_ids(const std::string& after, size_t limit) const;
  // Deletes delivered messages, or every message that is not being received (`all`).
  size_t purge(bool all);
  // Recipients of queued messages by state, and the arrival (unix seconds) of the oldest
  // message with a pending recipient (0: none).
  std::map<std::string, uint64_t> recipients_by_state() const;
  int64_t oldest_pending_arrival() const;
  // Queued messages with a recipient due at `now` (pending) or given up (bouncing), at most
  // `limit`, in arrival order.
  std::vector<std::string> due_ids(int64_t now, size_t limit) const;
  // The operator's commands: the message's recipients in one of `from` move to `to`, due at
  // `next_attempt_at`. Returns how many moved.
  size_t move_recipients(const std::string& id, const std::vector<RecipientState>& from,
                         RecipientState to, int64_t next_attempt_at);

 private:
  QueueEntry row(const Statement& s) const;
  mutable Database db_;  // reads prepare statements on it
};

std::optional<MessageState> parse_state(std::string_view s);

}  // namespace mailactor::storage
