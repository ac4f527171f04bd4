#include "protocol/data_decoder.hpp"

#include <cstring>

namespace mailactor::protocol {

void DataDecoder::reset() {
  state_ = State::line_start;
  saw_bare_newline_ = false;
}

void DataDecoder::bare_newline(std::string& out) {
  saw_bare_newline_ = true;
  // Under "reject" the content is dropped by the engine anyway; normalising keeps one code path.
  out += "\r\n";
}

size_t DataDecoder::decode(std::string_view in, std::string& out) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n && state_ != State::done) {
    const char c = in[i];
    switch (state_) {
      case State::line_start:
        if (c == '.') {
          state_ = State::dot;
          ++i;
        } else {
          state_ = State::mid;
        }
        break;
      case State::dot:
        if (c == '\r') {
          state_ = State::dot_cr;
          ++i;
        } else if (c == '\n') {
          // "CRLF . LF": a lone dot ended by a bare LF is content, not the end of data.
          out += '.';
          state_ = State::mid;
        } else {
          state_ = State::mid;  // dot-unstuffing: the leading dot is dropped
        }
        break;
      case State::dot_cr:
        if (c == '\n') {
          state_ = State::done;
          ++i;
        } else {
          out += '.';
          bare_newline(out);  // the CR after the dot was bare
          state_ = State::mid;
        }
        break;
      case State::mid: {
        // Fast path: the longest stretch that needs no change is copied in one append. It ends
        // at a bare CR or LF, at a CRLF followed by a dot (or by the end of the input), or at
        // the end of the input; a CRLF followed by any other byte is content like any other.
        const char* begin = in.data() + i;
        const char* end = in.data() + n;
        const char* p = begin;
        while (true) {
          auto* cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
          const char* stop = cr ? cr : end;
          auto* lf = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(stop - p)));
          if (lf) {
            p = lf;
            break;
          }
          if (!cr || end - cr < 3 || cr[1] != '\n' || cr[2] == '.') {
            p = stop;
            break;
          }
          p = cr + 2;
        }
        out.append(begin, static_cast<size_t>(p - begin));
        i += static_cast<size_t>(p - begin);
        if (i < n) {
          if (in[i] == '\r') {
            state_ = State::cr;
          } else {
            bare_newline(out);
          }
          ++i;
        }
        break;
      }
      case State::cr:
        if (c == '\n') {
          out += "\r\n";
          state_ = State::line_start;
          ++i;
        } else {
          bare_newline(out);
          state_ = c == '\r' ? State::cr : State::mid;
          if (c == '\r') ++i;
        }
        break;
      case State::done:
        break;
    }
  }
  return i;
}

void DotStuffer::append(std::string_view content, std::string& out) {
  for (char c : content) {
    // Normalise bare LF / bare CR so the peer sees clean CRLF lines.
    if (pending_cr_) {
      pending_cr_ = false;
      out += "\r\n";
      line_start_ = true;
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr_ = true;
      continue;
    }
    if (c == '\n') {
      out += "\r\n";
      line_start_ = true;
      continue;
    }
    if (line_start_ && c == '.') out += '.';
    out += c;
    line_start_ = false;
  }
}

void DotStuffer::finish(std::string& out) {
  if (pending_cr_) {
    out += "\r\n";
    pending_cr_ = false;
    line_start_ = true;
  }
  if (!line_start_) out += "\r\n";
  out += ".\r\n";
  line_start_ = true;
}

}  // namespace mailactor::protocol
