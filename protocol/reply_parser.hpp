// The client side: reassembles (multi-line) replies from a byte stream.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/reply.hpp"

namespace mailactor::protocol {

class ReplyParser {
 public:
  // Feeds bytes; returns false when the stream is not SMTP (bad line or an over-long line).
  bool feed(std::string_view bytes);
  // The next complete reply, in order.
  std::optional<Reply> next();
  bool failed() const { return failed_; }
  // Bytes received that no reply asked for yet: a complete reply, a partial one, or a part line.
  bool pending() const { return !ready_.empty() || partial_ || !buf_.empty(); }
  // Forgets everything received: what a server sent in plaintext before TLS is never read as
  // an answer from inside TLS.
  void discard() {
    buf_.clear();
    partial_.reset();
    ready_.clear();
  }

 private:
  bool line(std::string_view l);

  std::string buf_;
  std::optional<Reply> partial_;
  std::deque<Reply> ready_;
  bool failed_ = false;
};

// "2.1.0 Ok" -> ("2.1.0", "Ok") when the text starts with an RFC 3463 code.
bool split_enhanced_status(std::string_view text, std::string& status, std::string& rest);

}  // namespace mailactor::protocol
