// Streaming checks on message content as the engine receives it: how many hops the message has
// made (its trace header fields) and whether raw BDAT content has bare CR or LF. Both see the
// content piece by piece, so where a chunk ends never changes their answer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailactor::protocol {

// RFC 5321 §6.3: a message with this many Received: fields is looping (Postfix's hopcount_limit).
constexpr size_t kDefaultMaxHops = 50;

// Counts the Received: and Delivered-To: fields of the header section (up to the first empty
// line; continuation lines are part of their field). Received: counts the relays a message
// passed, Delivered-To: the local deliveries that forwarded it: either growing means a loop.
class HopCounter {
 public:
  void feed(std::string_view content);
  size_t hops() const { return received_ + delivered_to_; }
  size_t received() const { return received_; }
  void reset() { *this = HopCounter{}; }

 private:
  void end_of_name();

  size_t received_ = 0;
  size_t delivered_to_ = 0;
  bool in_header_ = true;
  bool line_empty_ = true;    // nothing but a CR on this line so far
  bool reading_name_ = true;  // before this line's first ':' (and the name still short)
  std::string name_;          // the field name so far, lower case
};

// Finds a CR not followed by LF or an LF not preceded by CR in content that is not dot-stuffed
// (BDAT chunks arrive raw, RFC 3030).
class BareNewlineScanner {
 public:
  void feed(std::string_view content);
  // At the end of the content: a last CR with nothing after it is bare too.
  bool found() const { return found_; }
  bool found_at_end() const { return found_ || last_was_cr_; }
  void reset() { *this = BareNewlineScanner{}; }

 private:
  bool found_ = false;
  bool last_was_cr_ = false;
};

// Removes every NUL octet from `content`; returns whether there was one.
bool strip_nul(std::string& content);

}  // namespace mailactor::protocol
