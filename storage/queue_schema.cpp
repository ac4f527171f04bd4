#include "storage/queue_schema.hpp"

#include "storage/queue_columns.hpp"

namespace mailactor::storage {
namespace {

std::string recipients_sql(const std::string& name) {
  // One row per final recipient: the routing decision committed with the message, then
  // its delivery state. The message is done when no row is pending or inflight.
  return "CREATE TABLE IF NOT EXISTS " + name +
         " (\n"
         "  message_id TEXT NOT NULL,\n"
         "  idx        INTEGER NOT NULL,\n"
         "  orig_rcpt  TEXT NOT NULL,   -- as the client gave it in RCPT TO\n"
         "  final_rcpt TEXT NOT NULL,   -- after aliases\n"
         "  route      TEXT NOT NULL CHECK (route <> ''),  -- a built-in route or a plug-in "
         "target\n"
         "  target     TEXT NOT NULL DEFAULT '',  -- maildir: the mailbox\n"
         "  state      TEXT NOT NULL DEFAULT 'pending'\n"
         "             CHECK (state IN ('pending', 'inflight', 'delivered', 'failed', "
         "'expired', 'held', 'bouncing')),\n"
         "  attempts   INTEGER NOT NULL DEFAULT 0,\n"
         "  next_attempt_at INTEGER NOT NULL DEFAULT 0,  -- unix seconds\n"
         "  last_attempt_at INTEGER,\n"
         "  last_code     INTEGER,  -- the last reply: code, enhanced code, text, from host\n"
         "  last_enhanced TEXT,\n"
         "  last_text     TEXT,\n"
         "  last_host     TEXT,\n"
         "  notify     TEXT NOT NULL DEFAULT '',  -- DSN NOTIFY as given: '' = failures only\n"
         "  orcpt      TEXT NOT NULL DEFAULT '',  -- DSN ORCPT as given\n"
         "  PRIMARY KEY (message_id, idx)\n"
         ") WITHOUT ROWID;\n";
}

}  // namespace

std::string schema_sql() {
  std::string meta_columns;
  MessageMeta m;
  for_each_field(m, [&](const char* name, const auto& v) {
    if (std::string_view(name) != "id")  // the key, first below
      meta_columns += "  " + std::string(name) + " " + columns::sql_type(v) + ",\n";
  });
  return "CREATE TABLE IF NOT EXISTS messages (\n"
         "  id TEXT PRIMARY KEY,\n"
         "  state TEXT NOT NULL CHECK (state IN ('receiving', 'queued', 'delivered')),\n" +
         meta_columns +
         "  delivered_at INTEGER  -- unix seconds, NULL until delivered\n"
         ");\n"
         "CREATE INDEX IF NOT EXISTS messages_by_state ON messages (state);\n"
         // The content: our Received: header followed by the message exactly as received (after
         // dot-unstuffing, CRLF line ends), in the chunks it was streamed in. Concatenate by seq.
         "CREATE TABLE IF NOT EXISTS message_chunks (\n"
         "  message_id TEXT NOT NULL,\n"
         "  seq        INTEGER NOT NULL,\n"
         "  data       BLOB NOT NULL,\n"
         "  PRIMARY KEY (message_id, seq)\n"
         ") WITHOUT ROWID;\n" +
         recipients_sql("recipients") +
         "CREATE INDEX IF NOT EXISTS recipients_due ON recipients (state, next_attempt_at);\n";
}

std::vector<Migration> migrations() {
  // Version 1 had no recipients table: every message went to the one ingest Maildir. Its
  // messages get one ingest row per RCPT address, delivered or pending as the message was.
  return {
      {2,
       "INSERT OR IGNORE INTO recipients (message_id, idx, orig_rcpt, final_rcpt, route, "
       "state, attempts, next_attempt_at, last_attempt_at)\n"
       "SELECT m.id, j.key, j.value, j.value, 'ingest',\n"
       "  CASE m.state WHEN 'delivered' THEN 'delivered' ELSE 'pending' END,\n"
       "  CASE m.state WHEN 'delivered' THEN 1 ELSE 0 END, m.received_at, m.delivered_at\n"
       "FROM messages m, json_each(m.rcpt_to) j WHERE m.state IN ('queued', 'delivered')"},
      // Version 2 allowed only the four built-in routes; plug-in delivery targets have their
      // own names. SQLite drops a CHECK only by copying the table.
      {3,
       recipients_sql("recipients_v3") +
           "INSERT INTO recipients_v3 SELECT * FROM recipients;\n"
           "DROP TABLE recipients;\n"
           "ALTER TABLE recipients_v3 RENAME TO recipients;\n"
           "CREATE INDEX IF NOT EXISTS recipients_due ON recipients (state, next_attempt_at);\n"}};
}

}  // namespace mailactor::storage
