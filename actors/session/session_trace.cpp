// The session's part of a message's trace (session_trace.hpp), kept while the transaction is open
// and sent to the tracer when it ends.
#include "actors/observe/tracer.hpp"
#include "actors/session/recipient_policy.hpp"
#include "actors/session/session_state.hpp"

namespace mailactor::actors::session_detail {
namespace {

// Past this a transaction's later steps (a message with a thousand recipients) are counted only.
constexpr size_t kMaxSessionEvents = 48;
constexpr size_t kMaxTracedRecipients = 100;

std::string client_of(const SessionState& st) {
  return st.peer.address + ":" + std::to_string(st.peer.port);
}

bool tracing(const SessionState& st) {
  return st.settings->tracer && !st.trace.events.empty();
}

// `last`: the transaction's outcome, kept past the bound.
void add(SessionTrace& t, int64_t at_us, const char* step, std::string detail, bool last = false) {
  if (t.events.size() >= kMaxSessionEvents && !last) {
    ++t.dropped;
    return;
  }
  t.events.push_back({at_us, step, std::move(detail)});
}

}  // namespace

// MAIL was accepted and the message has its queue id: the trace starts with how the client got
// here.
void trace_start(Self* self, const std::string& queue_id) {
  auto& st = self->state;
  if (!st.settings->tracer) return;
  auto& t = st.trace;
  t.events.clear();
  t.rcpt.clear();
  t.dropped = 0;
  t.content_started = false;
  add(t, t.connected_us, "connect", client_of(st) + " on " + st.settings->listener);
  if (t.tls_us && st.tls) add(t, t.tls_us, "tls", st.tls->protocol() + " " + st.tls->cipher());
  if (t.helo_us) add(t, t.helo_us, "helo", st.engine->helo());
  if (t.auth_us) add(t, t.auth_us, "auth", "as " + st.engine->auth_user());
  add(t, trace::now_us(), "mail", "<" + t.mail_from + "> accepted, queue id " + queue_id);
}

void trace_note(Self* self, const char* step, std::string detail) {
  auto& st = self->state;
  if (tracing(st)) add(st.trace, trace::now_us(), step, std::move(detail));
}

void trace_recipient(Self* self, const std::string& address, const RecipientDecision& d) {
  auto& st = self->state;
  if (!tracing(st)) return;
  if (!d.verdict.accepted) {
    trace_note(self, "rcpt", "<" + address + "> refused: " + d.verdict.rejection.summary());
    return;
  }
  std::string where;
  for (const auto& f : d.finals)
    where += (where.empty() ? "" : ", ") + (f.address == address ? "" : "<" + f.address + "> ") +
             f.route + (f.target.empty() ? "" : " " + f.target);
  if (st.trace.rcpt.size() < kMaxTracedRecipients) st.trace.rcpt.push_back(address);
  trace_note(self, "rcpt", "<" + address + "> accepted: " + where);
}

void trace_end(Self* self, const char* step, std::string detail) {
  auto& st = self->state;
  if (!tracing(st)) return;
  auto& t = st.trace;
  add(t, trace::now_us(), step, std::move(detail), true);
  trace::Record part{st.spool.queue_id(), t.mail_from,         std::move(t.rcpt),
                     client_of(st),       std::move(t.events), t.dropped};
  t.events.clear();
  t.rcpt.clear();
  send_trace(self, st.settings->tracer, std::move(part));
}

// An envelope without content (RSET, QUIT after RCPT: address checks) is not worth a trace; a
// message given up during its content is.
void trace_abort(Self* self) {
  auto& st = self->state;
  if (st.trace.content_started)
    trace_end(self, "not queued", "the transaction ended during the content: nothing stored");
  st.trace.events.clear();
  st.trace.rcpt.clear();
}

}  // namespace mailactor::actors::session_detail
