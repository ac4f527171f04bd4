#include "storage/queue_store.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "storage/envelope_json.hpp"
#include "storage/queue_columns.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_schema.hpp"

namespace mailactor::storage {

const char* to_string(MessageState s) {
  switch (s) {
    case MessageState::receiving:
      return "receiving";
    case MessageState::queued:
      return "queued";
    case MessageState::delivered:
      return "delivered";
  }
  return "?";
}

namespace {

void ensure_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create spool directory " + dir + ": " + ec.message());
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::runtime_error("spool " + dir + " is not a directory");
}

// Every field of the record as parameters ?1 (id) .. ?N, and the same on a row that was
// 'receiving' (content streamed before the commit).
std::string upsert_queued_sql() {
  std::string values, updates;
  int i = 0;
  MessageMeta m;
  for_each_field(m, [&](const char* name, const auto&) {
    std::string param = "?" + std::to_string(++i);
    values += ", " + param;
    if (i > 1) updates += ", " + std::string(name) + " = " + param;
  });
  return "INSERT INTO messages (state, " + columns::names() + ") VALUES ('queued'" + values +
         ") ON CONFLICT (id) DO UPDATE SET state = 'queued'" + updates;
}

}  // namespace

int QueueStore::check_schema_version() {
  Statement s = db_.prepare("PRAGMA user_version");
  int64_t version = s.step() ? s.int64(0) : 0;
  if (version > kSchemaVersion)
    throw std::runtime_error("the queue has schema version " + std::to_string(version) +
                             ", newer than this mailactor's " + std::to_string(kSchemaVersion) +
                             ": it was written by a newer release");
  return static_cast<int>(version);
}

// Version 0 is a new file (or one from before versioning, laid out as version 1).
void QueueStore::migrate(int from) {
  if (from == kSchemaVersion) return;
  db_.exec("BEGIN IMMEDIATE");
  try {
    db_.exec(schema_sql());
    for (const auto& m : migrations())
      if (m.to > from) db_.exec(m.sql);
    db_.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
    db_.exec("COMMIT");
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

QueueStore::QueueStore(const std::string& spool_dir, Durability durability, size_t file) {
  ensure_directory(spool_dir);
  db_ = Database(queue_file_path(spool_dir, file), false);
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec(durability == Durability::fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF");
  // The writer is the only writer: keep checkpoints out of the commit path's way.
  db_.exec("PRAGMA wal_autocheckpoint=4000");
  migrate(check_schema_version());
  insert_receiving_ =
      db_.prepare("INSERT INTO messages (id, state, received_at) VALUES (?1, 'receiving', ?2)");
  insert_chunk_ =
      db_.prepare("INSERT INTO message_chunks (message_id, seq, data) VALUES (?1, ?2, ?3)");
  upsert_queued_ = db_.prepare(upsert_queued_sql());
  delete_chunks_ = db_.prepare("DELETE FROM message_chunks WHERE message_id = ?1");
  // Never touches a message that made it to 'queued'.
  delete_receiving_chunks_ = db_.prepare(
      "DELETE FROM message_chunks WHERE message_id = ?1 AND NOT EXISTS "
      "(SELECT 1 FROM messages WHERE id = ?1 AND state <> 'receiving')");
  delete_message_ = db_.prepare("DELETE FROM messages WHERE id = ?1 AND state = 'receiving'");
  mark_delivered_ =
      db_.prepare("UPDATE messages SET state = 'delivered', delivered_at = ?2 WHERE id = ?1");
  insert_recipient_ = db_.prepare("INSERT INTO recipients (message_id, idx, next_attempt_at, " +
                                  columns::recipient_names() + ") VALUES (?1, ?2, ?3, " +
                                  columns::recipient_parameters(4) + ")");
  record_result_ = db_.prepare(
      "UPDATE recipients SET state = ?3, attempts = attempts + 1, next_attempt_at = ?4, "
      "last_attempt_at = ?5, last_code = ?6, last_enhanced = ?7, last_text = ?8, last_host = ?9 "
      "WHERE message_id = ?1 AND idx = ?2");
  message_exists_ = db_.prepare("SELECT 1 FROM messages WHERE id = ?1");
  count_open_recipients_ = db_.prepare(
      "SELECT count(*) FROM recipients WHERE message_id = ?1 AND state IN ('pending', "
      "'inflight', 'held', 'bouncing')");
}

size_t QueueStore::remove_incomplete() {
  db_.exec("BEGIN IMMEDIATE");
  try {
    db_.exec(
        "DELETE FROM message_chunks WHERE message_id IN "
        "(SELECT id FROM messages WHERE state = 'receiving')");
    db_.exec("DELETE FROM messages WHERE state = 'receiving'");
    size_t n = static_cast<size_t>(db_.changes());
    // Chunks without any message row cannot be delivered either.
    db_.exec("DELETE FROM message_chunks WHERE message_id NOT IN (SELECT id FROM messages)");
    db_.exec("COMMIT");
    return n;
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

void QueueStore::begin() {
  if (in_batch_) return;
  db_.exec("BEGIN IMMEDIATE");
  in_batch_ = true;
  touched_.clear();
}

QueueStore::Receiving& QueueStore::receiving_entry(const std::string& id, int64_t now) {
  auto it = receiving_.find(id);
  if (it != receiving_.end()) return it->second;
  insert_receiving_.bind(1, id).bind(2, now).run();
  return receiving_[id];
}

void QueueStore::append(const std::string& id, std::string_view bytes, int64_t now) {
  begin();
  Receiving& r = receiving_entry(id, now);
  touched_.insert(id);
  insert_chunk_.bind(1, id).bind(2, r.next_seq).bind_blob(3, bytes).run();
  ++r.next_seq;
  r.size += bytes.size();
}

uint64_t QueueStore::finish(MessageMeta meta, std::vector<RoutedRecipient> recipients,
                            std::string_view tail) {
  begin();
  if (recipients.empty()) recipients = ingest_recipients(meta.rcpt_to);
  for (size_t i = 0; i < recipients.size(); ++i) {
    insert_recipient_.bind(1, meta.id).bind(2, static_cast<int64_t>(i)).bind(3, meta.received_at);
    columns::bind_all(insert_recipient_, recipients[i], 4);
    insert_recipient_.run();
  }
  int64_t seq = 0;
  uint64_t size = 0;
  auto it = receiving_.find(meta.id);
  if (it != receiving_.end()) {
    seq = it->second.next_seq;
    size = it->second.size;
  }
  if (!tail.empty() || seq == 0) {
    insert_chunk_.bind(1, meta.id).bind(2, seq).bind_blob(3, tail).run();
    size += tail.size();
  }
  meta.size = size;
  columns::bind_all(upsert_queued_, meta);
  upsert_queued_.run();
  if (it != receiving_.end()) {
    touched_.insert(meta.id);
    receiving_.erase(it);
  }
  return size;
}

void QueueStore::abort(const std::string& id, bool written_before) {
  auto it = receiving_.find(id);
  if (it == receiving_.end() && !written_before) return;  // nothing was written for it
  begin();
  delete_receiving_chunks_.bind(1, id).run();
  delete_message_.bind(1, id).run();
  if (it != receiving_.end()) receiving_.erase(it);
}

bool QueueStore::record_results(const std::string& id, const std::vector<DeliveryResult>& results,
                                bool keep_content, int64_t now) {
  begin();
  for (const auto& r : results)
    record_result_.bind(1, id)
        .bind(2, static_cast<int64_t>(r.idx))
        .bind(3, to_string(r.state))
        .bind(4, r.next_attempt_at)
        .bind(5, now)
        .bind(6, static_cast<int64_t>(r.code))
        .bind(7, r.enhanced)
        .bind(8, r.text)
        .bind(9, r.host)
        .run();
  count_open_recipients_.bind(1, id);
  const bool done = count_open_recipients_.step() && count_open_recipients_.int64(0) == 0;
  count_open_recipients_.reset();
  if (done) {
    mark_delivered_.bind(1, id).bind(2, now).run();
    if (!keep_content) delete_chunks_.bind(1, id).run();
  }
  return done;
}

bool QueueStore::exists(const std::string& id) {
  message_exists_.bind(1, id);
  bool found = message_exists_.step();
  message_exists_.reset();
  return found;
}

void QueueStore::commit() {
  if (!in_batch_) return;
  try {
    db_.exec("COMMIT");
    in_batch_ = false;
    touched_.clear();
  } catch (...) {
    rollback();
    throw;
  }
}

bool QueueStore::batch_lost_after_error() {
  if (!in_batch_ || sqlite3_get_autocommit(db_.raw()) == 0) return false;
  rollback();
  return true;
}

void QueueStore::rollback() {
  lost_.clear();
  if (!in_batch_) return;
  in_batch_ = false;
  try {
    db_.exec("ROLLBACK");
  } catch (const SqliteError&) {
    // A failed COMMIT may already have rolled back.
  }
  // Partial content written in this batch is gone: those messages cannot complete.
  for (const auto& id : touched_) {
    receiving_.erase(id);
    lost_.push_back(id);
  }
  touched_.clear();
}

}  // namespace mailactor::storage
