// A queued message's content on its way to an SMTP or LMTP server after DATA's 354: streamed
// from the queue in the pieces it was stored in (a large message never sits whole in memory),
// dot-stuffed, ended with ".". `prefix` (a DKIM-Signature field) goes first.
#pragma once

#include <string>
#include <string_view>

#include "actors/net/client_connection.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {

void send_queued_content(ClientConnection& c, const storage::QueueReader& reader,
                         const std::string& id, std::string_view prefix = {});

}  // namespace mailactor::actors
