// The write side of the queue: one connection, owned by the queue writer actor, that groups
// many operations from many sessions into one transaction per batch (group commit).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "storage/message_meta.hpp"
#include "storage/routed_recipient.hpp"
#include "storage/sqlite.hpp"

namespace mailactor::storage {

enum class Durability {
  fsync,  // synchronous=FULL: a commit is on disk before it is acknowledged
  none,   // synchronous=OFF: fast and unsafe on power loss or OS crash (capture/test use)
};

class QueueStore {
 public:
  // Opens (creating if needed) queue file `file` of the spool (queue_files.hpp; 0: queue.db).
  // Throws SqliteError / std::runtime_error with a clear message when the spool is unusable.
  QueueStore(const std::string& spool_dir, Durability durability, size_t file = 0);

  // Removes messages left 'receiving' by a crash or a lost connection. Returns how many.
  size_t remove_incomplete();

  // Operations of the open batch (the first one begins it).
  void append(const std::string& id, std::string_view bytes, int64_t now);
  // Finishes a message: its remaining bytes, the envelope and its final recipients (none given:
  // each RCPT address to the ingest Maildir); state becomes 'queued'. Returns the stored size.
  uint64_t finish(MessageMeta meta, std::vector<RoutedRecipient> recipients, std::string_view tail);
  // Drops a message that will not complete. `written_before`: it may have rows from an earlier,
  // rolled-back batch that this store no longer tracks.
  void abort(const std::string& id, bool written_before = false);
  // One delivery attempt's results, a row each. Once no recipient is left to deliver the
  // message is done (state 'delivered', whatever each recipient's end) and, unless
  // keep_content, its content is dropped. Returns true when the message is done.
  bool record_results(const std::string& id, const std::vector<DeliveryResult>& results,
                      bool keep_content, int64_t now);

  bool exists(const std::string& id);  // a message of that id is in the queue

  bool in_batch() const { return in_batch_; }
  // Makes the batch durable. On failure the batch is rolled back and the exception rethrown;
  // the ids of messages whose partial content was lost are in lost_in_rollback().
  void commit();
  void rollback();
  // After an operation threw: true when SQLite rolled the whole batch back by itself (it does on
  // a full disk, for instance); the batch bookkeeping is then reset as by rollback().
  bool batch_lost_after_error();
  const std::vector<std::string>& lost_in_rollback() const { return lost_; }

  size_t receiving() const { return receiving_.size(); }

 private:
  int check_schema_version();  // the queue's; throws for a queue written by a newer release
  void migrate(int from);
  struct Receiving {
    int64_t next_seq = 0;
    uint64_t size = 0;
  };
  void begin();
  Receiving& receiving_entry(const std::string& id, int64_t now);

  Database db_;
  Statement insert_receiving_;
  Statement insert_chunk_;
  Statement upsert_queued_;
  Statement delete_chunks_;
  Statement delete_receiving_chunks_;
  Statement delete_message_;
  Statement mark_delivered_;
  Statement insert_recipient_;
  Statement record_result_;
  Statement count_open_recipients_;
  Statement message_exists_;
  bool in_batch_ = false;
  std::unordered_map<std::string, Receiving> receiving_;
  std::unordered_set<std::string> touched_;  // receiving ids written in this batch
  std::vector<std::string> lost_;
};

}  // namespace mailactor::storage
