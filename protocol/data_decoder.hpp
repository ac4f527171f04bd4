// Streaming decoder for the DATA phase (RFC 5321 §4.1.1.4, §4.5.2).
//
// The end of data is recognised only on the exact sequence CRLF "." CRLF (with the first CRLF
// possibly being the one that ended the DATA command line). No other variant (LF.LF, LF.CRLF,
// CRLF.LF, CR.CR, ...) ends the data: that is the SMTP-smuggling defence. A bare CR or LF in
// the content is normalised to CRLF or flagged, depending on the policy. The decoder is a
// byte-level state machine, so chunk boundaries never change its result.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailactor::protocol {

enum class BareNewline {
  normalize,  // turn a bare CR or LF into CRLF (as Postfix 3.9 "normalize")
  reject,     // remember it; the engine refuses the message with 550 5.6.0
};

class DataDecoder {
 public:
  // The policy for bare CR/LF is the engine's: the decoder normalises and reports.

  // Consumes bytes from `in`, appends decoded content to `out`, and returns how many bytes were
  // consumed: all of them, or fewer when the end of data was found (the rest belongs to the
  // next command).
  size_t decode(std::string_view in, std::string& out);

  bool done() const { return state_ == State::done; }
  bool saw_bare_newline() const { return saw_bare_newline_; }
  void reset();

 private:
  enum class State { line_start, dot, dot_cr, mid, cr, done };

  void bare_newline(std::string& out);

  State state_ = State::line_start;
  bool saw_bare_newline_ = false;
};

// The client side: dot-stuffs content for DATA, streaming.
class DotStuffer {
 public:
  void append(std::string_view content, std::string& out);
  // Ends the data: a CRLF if the content did not end with one, then ".\r\n".
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool pending_cr_ = false;
};

}  // namespace mailactor::protocol
