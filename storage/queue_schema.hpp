// The queue's SQLite schema: <spool>/queue.db, WAL mode. Operators read it with sqlite3, e.g.
//   sqlite3 var/spool/queue.db "select id, state, mail_from, rcpt_to, size from messages"
//   sqlite3 var/spool/queue.db "select message_id, final_rcpt, route, state from recipients"
//   sqlite3 var/spool/queue.db "select data from message_chunks where message_id = 'ID' order by
//   seq"
// The messages table has one column per MessageMeta field (message_meta.hpp, with what each
// holds) besides its state and delivered_at; queue_columns.hpp turns that list into SQL.
#pragma once

#include <string>
#include <vector>

namespace mailactor::storage {

// The schema version this build writes (PRAGMA user_version). A queue with a higher one was
// written by a newer mailactor and is refused rather than misread.
inline constexpr int kSchemaVersion = 3;

// CREATE TABLE/INDEX statements of the current schema (idempotent).
std::string schema_sql();

// What turns a queue of version `to - 1` into version `to`, run after schema_sql() in one
// transaction with the new user_version, in order, for every version above the queue's.
struct Migration {
  int to;
  std::string sql;
};
std::vector<Migration> migrations();

}  // namespace mailactor::storage
