// JSON forms of the envelope: the recipients column of the queue and the envelope file written
// next to each delivered message (<maildir>/envelope/<id>.json).
#pragma once

#include <string>
#include <vector>

#include "storage/message_meta.hpp"

namespace mailactor::storage {

std::string rcpt_to_json(const std::vector<std::string>& rcpt_to);
std::vector<std::string> rcpt_to_from_json(const std::string& json);

// {"id", "mail_from", "rcpt_to", "helo", "client": {"address", "port"}, "listener", "auth_user",
//  "tls": {"protocol", "cipher"} | null, "protocol", "received_at" (RFC 3339), "size", "params"}
std::string envelope_json(const MessageMeta& meta);

std::string rfc3339_utc(int64_t unix_seconds);

}  // namespace mailactor::storage
