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
