// The queue's SQLite schema: <spool>/queue.db, WAL mode. Operators read it with sqlite3, e.g.
//   sqlite3 var/spool/queue.db "select id, state, mail_from, rcpt_to, size from messages"
//   sqlite3 var/spool/queue.db "select data from message_chunks where message_id = 'ID' order by
//   seq"
#pragma once

namespace mailactor::storage {

inline constexpr int kSchemaVersion = 1;

inline constexpr char kSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS messages (
  id           TEXT PRIMARY KEY,              -- queue id, as in "250 2.0.0 Ok: queued as <id>"
  state        TEXT NOT NULL CHECK (state IN ('receiving', 'queued', 'delivered')),
  mail_from    TEXT NOT NULL DEFAULT '',      -- reverse-path, '' for <>
  rcpt_to      TEXT NOT NULL DEFAULT '[]',    -- JSON array of forward-paths
  helo         TEXT NOT NULL DEFAULT '',
  client_addr  TEXT NOT NULL DEFAULT '',
  client_port  INTEGER NOT NULL DEFAULT 0,
  listener     TEXT NOT NULL DEFAULT '',
  auth_user    TEXT NOT NULL DEFAULT '',      -- '' when not authenticated
  tls_protocol TEXT NOT NULL DEFAULT '',      -- '' without TLS
  tls_cipher   TEXT NOT NULL DEFAULT '',
  protocol     TEXT NOT NULL DEFAULT '',      -- SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA
  params       TEXT NOT NULL DEFAULT '',      -- MAIL parameters: "BODY=8BITMIME SMTPUTF8"
  received_at  INTEGER NOT NULL,              -- unix seconds
  size         INTEGER NOT NULL DEFAULT 0,    -- octets stored (Received: header included)
  delivered_at INTEGER                        -- unix seconds, NULL until delivered
);
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (state);
-- The content: our Received: header followed by the message exactly as received (after
-- dot-unstuffing, CRLF line ends), in the chunks it was streamed in. Concatenate by seq.
CREATE TABLE IF NOT EXISTS message_chunks (
  message_id TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  data       BLOB NOT NULL,
  PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;
PRAGMA user_version = 1;
)sql";

}  // namespace mailactor::storage
