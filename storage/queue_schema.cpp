#include "storage/queue_schema.hpp"

#include "storage/queue_columns.hpp"

namespace mailactor::storage {

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
         ") WITHOUT ROWID;\n";
}

}  // namespace mailactor::storage
