// Delivery status notifications (RFC 3464): the report mailactor sends to a message's sender
// when recipients fail for good or expire, composed here without I/O. The message goes out
// with the null sender (RFC 5321 §6.1), From: MAILER-DAEMON@<host> and Auto-Submitted (RFC
// 3834), so that nobody answers it automatically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailactor::protocol {

struct DsnRecipient {
  std::string original;    // as the client gave it in RCPT, may be empty
  std::string orcpt;       // DSN ORCPT, decoded ("rfc822;a@b"): the Original-Recipient if given
  std::string final;       // Final-Recipient
  std::string action;      // "failed", "delayed", "delivered"
  std::string status;      // RFC 3463 code, "5.2.2"
  std::string diagnostic;  // the reply that decided it, "552 5.2.2 Quota exceeded"
  std::string remote_mta;  // who gave that reply, may be empty
};

struct DsnReport {
  std::string reporting_mta;  // our host name
  std::string queue_id;       // the original message's
  std::string envid;          // ENVID of the original MAIL (RFC 3461), may be empty
  std::string sender;         // the original envelope sender: the report's recipient
  int64_t arrival = 0;        // unix seconds
  int64_t now = 0;
  std::vector<DsnRecipient> recipients;
  std::string original;       // the original message (our Received: header first)
  bool headers_only = false;  // RET=HDRS, or the original is too large to return whole
};

// The largest original returned whole; a larger one is returned as its header section.
inline constexpr size_t kDsnOriginalLimit = 256 * 1024;

// The complete report (header section and MIME body, CRLF line ends).
std::string dsn_message(const DsnReport& r);

// The header section of a message (up to its first empty line, without it).
std::string_view header_section(std::string_view message);

// Received: header fields in the header section (HopCounter's count): more than
// kDefaultMaxHops means a loop (RFC 5321 §6.3), and such a message is never bounced.
size_t count_received(std::string_view message);

}  // namespace mailactor::protocol
