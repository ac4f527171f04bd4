// The Received: trace header we prepend to every message (RFC 5321 §4.4, RFC 5322 §3.6.7).
#pragma once

#include <cstdint>
#include <string>

#include "protocol/actions.hpp"

namespace mailactor::protocol {

struct ReceivedInfo {
  std::string client_ip;  // the peer's address as seen on the socket
  std::string hostname;   // ours
  std::string queue_id;
  std::string tls_protocol;  // empty without TLS
  std::string tls_cipher;
  int64_t unix_time = 0;
};

// "Received: from HELO ([IP])\r\n\tby HOST (mailactor) with ESMTP id ID\r\n\tfor <RCPT>; DATE\r\n"
// ("for" only with a single recipient, so a copy does not reveal the others).
std::string received_header(const Envelope& env, const ReceivedInfo& info);

// RFC 5322 date-time in UTC: "Fri, 27 Nov 2026 07:49:32 +0000".
std::string rfc5322_date(int64_t unix_time);

}  // namespace mailactor::protocol
