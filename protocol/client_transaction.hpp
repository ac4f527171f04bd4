// One mail transaction as an SMTP or LMTP client runs it, without I/O: MAIL, RCPT per recipient
// and DATA, pipelined (RFC 2920) or one command per reply when the server does not offer
// PIPELINING. After the content an SMTP server answers once for every recipient it accepted;
// an LMTP server (RFC 2033) once per accepted recipient. Every recipient ends with exactly one
// reply of its own: its RCPT refusal, the MAIL or DATA refusal, or the reply to its content.
// Taking one reply for another recipient's (or a refusal for success) loses mail, so each stage
// takes only the reply classes RFC 5321 allows there (MAIL, RCPT and the content: 2xx, 4xx, 5xx;
// DATA: 354, 4xx, 5xx). Any other reply is a protocol error: every recipient still open gets a
// temporary failure and the connection is spent, never a reply taken for the next command's.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocol/reply.hpp"

namespace mailactor::protocol {

struct TransactionOptions {
  bool lmtp = false;        // one reply per accepted recipient after the content
  bool pipelining = true;   // every command at once; otherwise one command per reply
  std::string mail_params;  // appended to MAIL FROM:<...>, e.g. " SIZE=1234 BODY=8BITMIME"
  // Appended to each recipient's RCPT TO:<...>, by position (e.g. " NOTIFY=SUCCESS"); missing
  // entries: none.
  std::vector<std::string> rcpt_params;
};

class ClientTransaction {
 public:
  ClientTransaction(std::string mail_from, std::vector<std::string> recipients,
                    TransactionOptions options = {});

  // What to send before the first reply: "MAIL FROM:<f>\r\nRCPT TO:<r>\r\n...DATA\r\n" when
  // pipelining, "MAIL FROM:<f>\r\n" otherwise.
  std::string commands() const;

  enum class Next {
    read_reply,    // send take_command() (if any), then feed the next reply
    send_content,  // DATA got 354: send the dot-stuffed content, then keep reading replies
    done,          // every recipient has its reply
  };
  Next on_reply(const Reply& r);
  // Without pipelining: the command the last reply allows (empty when there is none).
  std::string take_command() { return std::exchange(command_, {}); }

  bool done() const { return stage_ == Stage::done; }
  // A reply of a class its stage does not allow ended the transaction: the server and we no
  // longer agree on which reply answers which command.
  bool protocol_error() const { return protocol_error_; }
  // The server waits for content that will not come (354 with no recipient accepted): the
  // connection must be closed, not reused.
  bool connection_unusable() const { return unusable_; }
  // The transaction ended before the content's reply: RSET before the next one on this
  // connection (the server may still hold the MAIL).
  bool needs_reset() const { return done() && !completed_; }
  // One per recipient, in order; all set once done().
  const std::vector<std::optional<Reply>>& results() const { return results_; }

 private:
  std::string rcpt_command(size_t i) const;
  enum class Stage { mail, rcpt, data, after_data, done };
  void settle_open(const Reply& r);  // every recipient still without a reply gets r
  Next finish(const Reply& settle_with);
  Next after_rcpt();
  Next on_content_reply(const Reply& r);
  Next desync(const char* step, const Reply& r);

  std::string mail_from_;
  std::vector<std::string> recipients_;
  TransactionOptions options_;
  std::vector<std::optional<Reply>> results_;
  std::vector<size_t> accepted_;  // recipients whose RCPT got 2xx, in order
  std::optional<Reply> mail_refusal_;
  std::string command_;
  Stage stage_ = Stage::mail;
  size_t next_rcpt_ = 0;
  size_t next_accepted_ = 0;
  bool unusable_ = false;
  bool completed_ = false;
  bool protocol_error_ = false;
};

}  // namespace mailactor::protocol
