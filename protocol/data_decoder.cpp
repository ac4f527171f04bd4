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
        // Fast path: copy the run up to the next CR or LF in one go.
        const char* start = in.data() + i;
        size_t run = 0;
        while (i + run < n && start[run] != '\r' && start[run] != '\n')
          ++run;
        out.append(start, run);
        i += run;
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
