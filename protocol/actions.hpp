// What the engine asks its host (the session actor, a test, a fuzzer) to do, and the envelope it
// hands over with a message. The host never needs to know SMTP: it performs the actions in order
// and feeds the results back through the engine's result methods.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mailactor::protocol {

enum class BodyType { unspecified, seven_bit, eight_bit_mime, binary_mime };
const char* to_string(BodyType b);

struct MailParams {
  std::optional<uint64_t> size;  // SIZE= as declared by the client
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;
  std::string ret;    // DSN (RFC 3461): "FULL", "HDRS" or "" (not given)
  std::string envid;  // DSN: ENVID as sent (xtext), "" when not given
};

// RCPT parameters (DSN, RFC 3461 §4.1-4.2), as sent.
struct RcptParams {
  std::string notify;  // "NEVER" or a comma list of SUCCESS, FAILURE, DELAY; "" when not given
  std::string orcpt;   // "rfc822;alice@example.test" (xtext), "" when not given
};

struct Envelope {
  std::string helo;
  bool esmtp = false;
  std::string mail_from;  // "" for the null reverse-path
  std::vector<std::string> rcpt_to;
  MailParams params;
  std::string auth_user;  // empty when not authenticated
  bool tls = false;
  bool chunked = false;  // BDAT rather than DATA
  // The "with" protocol for the Received: header (RFC 3848): SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA.
  std::string with_protocol() const;
};

namespace action {
struct Send {  // write these bytes (one or more replies) to the client
  std::string bytes;
};
struct StartTls {};  // the 220 was sent: hand the connection to TLS, then call tls_started()
struct Authenticate {
  std::string mechanism;
  std::string authzid;
  std::string user;
  std::string secret;
};
struct CheckSender {
  std::string address;
  MailParams params;
};
struct CheckRecipient {
  std::string address;
  RcptParams params;
};
struct BeginMessage {
  Envelope envelope;
};
struct MessageChunk {
  std::string bytes;
};
struct EndMessage {};    // commit what was streamed; answer with queued() or spool_failed()
struct AbortMessage {};  // discard what was streamed
struct Close {};         // close the connection after the pending writes
}  // namespace action

using Action =
    std::variant<action::Send, action::StartTls, action::Authenticate, action::CheckSender,
                 action::CheckRecipient, action::BeginMessage, action::MessageChunk,
                 action::EndMessage, action::AbortMessage, action::Close>;
using Actions = std::vector<Action>;

}  // namespace mailactor::protocol
