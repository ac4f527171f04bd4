// What a session tells the tracer about a message: the connection's facts, MAIL, each RCPT
// decision, the content pieces and the commit, from the ticket (the queue id) to 250 or the
// refusal. Nothing is kept or sent when the session holds no tracer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/trace.hpp"

namespace mailactor::actors {

struct SessionTrace {
  int64_t connected_us = trace::now_us();
  int64_t tls_us = 0;     // handshake done
  int64_t helo_us = 0;    // the last HELO/EHLO
  int64_t auth_us = 0;    // AUTH succeeded
  std::string mail_from;  // the MAIL address being checked
  // The open transaction's trace; empty: none is being traced.
  std::vector<trace::Event> events;
  std::vector<std::string> rcpt;  // accepted RCPT addresses
  bool content_started = false;
  uint32_t dropped = 0;
};

}  // namespace mailactor::actors
