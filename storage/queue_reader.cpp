#include "storage/queue_reader.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include "storage/envelope_json.hpp"
#include "storage/queue_columns.hpp"
#include "storage/queue_files.hpp"

namespace mailactor::storage {

namespace {
// The row's own columns, then every MessageMeta field (queue_columns.hpp).
const std::string& selected_columns() {
  static const std::string columns = "state, delivered_at, " + columns::names();
  return columns;
}
}  // namespace

std::optional<MessageState> parse_state(std::string_view s) {
  if (s == "receiving") return MessageState::receiving;
  if (s == "queued") return MessageState::queued;
  if (s == "delivered") return MessageState::delivered;
  return std::nullopt;
}

QueueReader::QueueReader(const std::string& spool_dir, size_t file) {
  std::string path = queue_file_path(spool_dir, file);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("no queue at " + path);
  db_ = Database(path, false);
}

QueueEntry QueueReader::row(const Statement& s) const {
  QueueEntry e;
  e.state = parse_state(s.text(0)).value_or(MessageState::queued);
  if (!s.is_null(1)) e.delivered_at = s.int64(1);
  columns::read_all(s, e.meta, 2);
  return e;
}

std::vector<QueueEntry> QueueReader::list(std::optional<MessageState> state, size_t limit) const {
  std::string sql = "SELECT " + selected_columns() + " FROM messages";
  if (state) sql += " WHERE state = ?1";
  sql += " ORDER BY id";
  if (limit > 0) sql += " LIMIT " + std::to_string(limit);
  Statement s = db_.prepare(sql);
  if (state) s.bind(1, to_string(*state));
  std::vector<QueueEntry> out;
  while (s.step())
    out.push_back(row(s));
  return out;
}

std::optional<QueueEntry> QueueReader::get(const std::string& id) const {
  Statement s = db_.prepare("SELECT " + selected_columns() + " FROM messages WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return row(s);
}

bool QueueReader::content(const std::string& id,
                          const std::function<void(std::string_view)>& sink) const {
  Statement s = db_.prepare("SELECT data FROM message_chunks WHERE message_id = ?1 ORDER BY seq");
  s.bind(1, id);
  bool any = false;
  while (s.step()) {
    any = true;
    sink(s.blob(0));
  }
  return any;
}

std::vector<std::string> QueueReader::queued_ids(const std::string& after, size_t limit) const {
  Statement s = db_.prepare(
      "SELECT id FROM messages WHERE state = 'queued' AND id > ?1 ORDER BY id LIMIT ?2");
  s.bind(1, after).bind(2, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (s.step())
    out.push_back(s.text(0));
  return out;
}

size_t QueueReader::purge(bool all) {
  const char* which = all ? "state <> 'receiving'" : "state = 'delivered'";
  db_.exec("BEGIN IMMEDIATE");
  try {
    db_.exec(std::string("DELETE FROM message_chunks WHERE message_id IN (SELECT id FROM messages "
                         "WHERE ") +
             which + ")");
    db_.exec(std::string("DELETE FROM recipients WHERE message_id IN (SELECT id FROM messages "
                         "WHERE ") +
             which + ")");
    db_.exec(std::string("DELETE FROM messages WHERE ") + which);
    size_t n = static_cast<size_t>(db_.changes());
    db_.exec("COMMIT");
    return n;
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

}  // namespace mailactor::storage

namespace mailactor::storage {

std::vector<RecipientRow> QueueReader::recipients(const std::string& id) const {
  Statement s = db_.prepare(
      "SELECT idx, state, attempts, next_attempt_at, last_attempt_at, last_code, last_enhanced, "
      "last_text, last_host, " +
      columns::recipient_names() + " FROM recipients WHERE message_id = ?1 ORDER BY idx");
  s.bind(1, id);
  std::vector<RecipientRow> rows;
  while (s.step()) {
    RecipientRow r;
    r.idx = static_cast<size_t>(s.int64(0));
    r.state = parse_recipient_state(s.text(1)).value_or(RecipientState::pending);
    r.attempts = s.int64(2);
    r.next_attempt_at = s.int64(3);
    if (!s.is_null(4)) r.last_attempt_at = s.int64(4);
    if (!s.is_null(5)) r.last_code = static_cast<int>(s.int64(5));
    r.last_enhanced = s.text(6);
    r.last_text = s.text(7);
    r.last_host = s.text(8);
    columns::read_all(s, r.routed, 9);
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace mailactor::storage

namespace mailactor::storage {

std::vector<std::string> QueueReader::due_ids(int64_t now, size_t limit) const {
  Statement s = db_.prepare(
      "SELECT DISTINCT message_id FROM recipients WHERE (state = 'pending' AND next_attempt_at "
      "<= ?1) OR state = 'bouncing' ORDER BY message_id LIMIT ?2");
  s.bind(1, now).bind(2, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (s.step())
    out.push_back(s.text(0));
  return out;
}

size_t QueueReader::move_recipients(const std::string& id, const std::vector<RecipientState>& from,
                                    RecipientState to, int64_t next_attempt_at) {
  std::string states;
  for (auto f : from)
    states += std::string(states.empty() ? "'" : ", '") + to_string(f) + "'";
  Statement s = db_.prepare(
      "UPDATE recipients SET state = ?2, next_attempt_at = ?3 WHERE "
      "message_id = ?1 AND state IN (" +
      states + ")");
  s.bind(1, id).bind(2, to_string(to)).bind(3, next_attempt_at);
  s.run();
  return static_cast<size_t>(db_.changes());
}

}  // namespace mailactor::storage

namespace mailactor::storage {

std::map<std::string, uint64_t> QueueReader::recipients_by_state() const {
  Statement s = db_.prepare(
      "SELECT r.state, count(*) FROM recipients r JOIN messages m ON m.id = r.message_id "
      "WHERE m.state = 'queued' GROUP BY r.state");
  std::map<std::string, uint64_t> out;
  while (s.step())
    out[s.text(0)] = static_cast<uint64_t>(s.int64(1));
  return out;
}

int64_t QueueReader::oldest_pending_arrival() const {
  Statement s = db_.prepare(
      "SELECT min(m.received_at) FROM messages m JOIN recipients r ON r.message_id = m.id "
      "WHERE m.state = 'queued' AND r.state = 'pending'");
  return s.step() && !s.is_null(0) ? s.int64(0) : 0;
}

}  // namespace mailactor::storage
