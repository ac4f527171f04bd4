// What the queue records about a message besides its content (the envelope and where it came
// from). Plain data: the actors carry it in messages, the queue stores it, the deliverer writes it
// out as the envelope JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mailactor::storage {

struct MessageMeta {
  std::string id;
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::string helo;
  std::string client_addr;
  uint16_t client_port = 0;
  std::string listener;
  std::string auth_user;
  std::string tls_protocol;  // empty without TLS
  std::string tls_cipher;
  std::string protocol;     // SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA
  int64_t received_at = 0;  // unix time, seconds
  uint64_t size = 0;        // stored octets, Received: header included
  std::string params;       // MAIL parameters as given: "BODY=8BITMIME SMTPUTF8"
};

enum class MessageState { receiving, queued, delivered };
const char* to_string(MessageState s);

}  // namespace mailactor::storage
