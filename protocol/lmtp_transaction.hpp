// One LMTP transaction (RFC 2033) as the client runs it, without I/O: MAIL, RCPT per recipient
// and DATA go out pipelined, the replies come back in order, and after the content the server
// answers once per recipient it accepted. Every recipient ends with exactly one reply of its
// own: its RCPT refusal, the MAIL or DATA refusal, or its post-DATA reply. Taking one reply for
// another recipient's (or a refusal for success) loses mail.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/reply.hpp"

namespace mailactor::protocol {

class LmtpTransaction {
 public:
  LmtpTransaction(std::string mail_from, std::vector<std::string> recipients);

  // What to send before the first reply: "MAIL FROM:<f>\r\nRCPT TO:<r>\r\n...DATA\r\n".
  std::string commands() const;

  enum class Next {
    read_reply,    // feed the next reply
    send_content,  // DATA got 354: send the dot-stuffed content, then keep reading replies
    done,          // every recipient has its reply
  };
  Next on_reply(const Reply& r);

  bool done() const { return stage_ == Stage::done; }
  // The server waits for content that will not come (354 with no recipient accepted): the
  // connection must be closed, not reused.
  bool connection_unusable() const { return unusable_; }
  // One per recipient, in order; all set once done().
  const std::vector<std::optional<Reply>>& results() const { return results_; }

 private:
  enum class Stage { mail, rcpt, data, after_data, done };
  void settle_open(const Reply& r);  // every recipient still without a reply gets r

  std::string mail_from_;
  std::vector<std::string> recipients_;
  std::vector<std::optional<Reply>> results_;
  std::vector<size_t> accepted_;  // recipients whose RCPT got 2xx, in order
  std::optional<Reply> mail_refusal_;
  Stage stage_ = Stage::mail;
  size_t next_rcpt_ = 0;
  size_t next_accepted_ = 0;
  bool unusable_ = false;
};

}  // namespace mailactor::protocol
