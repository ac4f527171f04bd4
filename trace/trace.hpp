// A message's path through the server, step by step, for `mailactor trace` and the live page's
// /trace/ID: what the session decided (connection, TLS, MAIL, RCPT, content), the group commit
// it rode in, and each delivery attempt. Plain data: the actors send it to the tracer, which
// keeps the recent ones (trace_ring.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mailactor::trace {

struct Event {
  int64_t at_us = 0;   // unix microseconds
  std::string step;    // "connect", "tls", "helo", "auth", "mail", "rcpt", "data", "piece",
                       // "commit", "queued", "not queued", "group commit", "delivery"
  std::string detail;  // what happened, for people: "<a@b.example> accepted", "250 2.0.0 ..."
};

// One message's trace, or a part of it: the session's part names the envelope; the writer's and
// the deliverer's only the id and their events.
struct Record {
  std::string id;
  std::string mail_from;          // "" for <> (or not known from this part)
  std::vector<std::string> rcpt;  // accepted RCPT addresses, as given
  std::string client;             // address:port
  std::vector<Event> events;
  uint32_t events_dropped = 0;  // past the ring's per-message bound
};

// Microseconds since the epoch, now.
int64_t now_us();

// "12.3 ms"
std::string ms_text(uint64_t us);

}  // namespace mailactor::trace
