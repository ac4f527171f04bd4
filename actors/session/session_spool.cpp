// The session's spool transaction, glued to CAF: the ticket at MAIL, the requests SpoolTransaction
// asks for sent to the queue writer, and its answers turned back into engine results.
#include <spdlog/spdlog.h>

#include "actors/session/session_state.hpp"
#include "storage/unix_time.hpp"

namespace mailactor::actors::session_detail {

using storage::unix_now;

protocol::Reply reply_of(const spool_reply& r) {
  return protocol::reply(r.code, r.status, r.text);
}

void reset_transaction(Self* self) {
  auto& st = self->state;
  if (st.spool.remote()) self->demonitor(st.writer.address());
  st.writer = nullptr;
  st.spool.reset();
}

// The record is the transaction's own (read before it resets); the size is the writer's.
void log_queued(Self* self, uint64_t size) {
  auto& s = self->state;
  const storage::MessageMeta& m = s.spool.meta();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.spool.started())
                .count();
  spdlog::info("queued {} from=<{}> rcpts={} size={} ms={} client={}:{}{}{}", m.id, m.mail_from,
               m.rcpt_to.size(), size, ms, s.peer.address, s.peer.port,
               m.tls_protocol.empty() ? "" : " tls=" + m.tls_protocol,
               m.auth_user.empty() ? "" : " auth=" + m.auth_user);
}

// The writer's answer to an append or commit of transaction `generation`; a stale answer (the
// transaction was aborted meanwhile) is ignored.
void spool_result(Self* self, uint64_t generation, bool commit, const spool_reply& r) {
  auto& s = self->state;
  auto outcome = s.spool.answer(generation, commit, r);
  using Kind = SpoolTransaction::Outcome::Kind;
  switch (outcome.kind) {
    case Kind::stale:
      return;
    case Kind::appended:
      pump(self);
      return;
    case Kind::queued:
      ++s.messages;
      log_queued(self, outcome.reply.size);
      trace_end(self, "queued",
                "250 queued as " + outcome.queue_id + ", " + std::to_string(outcome.reply.size) +
                    " bytes stored");
      reset_transaction(self);
      perform(self, s.engine->queued(outcome.queue_id));
      return;
    case Kind::failed:
      spdlog::warn("spool refused {}: {} {}", outcome.queue_id, r.code, r.text);
      trace_end(self, "not queued",
                std::to_string(r.code) + " " + r.status + " " + r.text + " (from the spool)");
      if (commit) reset_transaction(self);
      perform(self, s.engine->spool_failed(reply_of(r)));
      return;
  }
}

void spool_answer(Self* self, uint64_t generation, bool commit, const spool_reply& r) {
  spool_result(self, generation, commit, r);
  finish_request(self);
}

// The append or commit in flight is given up with `r`: its answer, should one still come, is
// ignored. No reply is lost by this: the writer answers a commit it made durable after the give-up
// as it would any other, and the client, told 451, sends the message again (at worst twice).
void give_up_request(Self* self, const spool_reply& r) {
  auto& s = self->state;
  if (s.spool.give_up()) spool_answer(self, s.spool.generation(), s.spool.commit_pending(), r);
}

// A remote writer's node went away (the link to the spool node is lost): the transaction fails
// now with 451 instead of when its request times out.
void writer_down(Self* self, const caf::actor_addr& who) {
  auto& s = self->state;
  if (!s.spool.remote() || s.writer.address() != who) return;
  spdlog::warn("spool node of {} lost mid-transaction: 451", s.spool.queue_id());
  s.spool.lose_link();
  give_up_request(self, spool_link_lost());  // or the next append or the commit fails (pump)
}

// The session's tick, not a CAF request timeout, bounds an append or commit: a timer per request
// costs two operations on CAF's one clock thread (schedule, cancel), each waking it.
void check_spool_timeout(Self* self) {
  auto& s = self->state;
  if (!s.spool.overdue(Clock::now(), s.settings->spool_timeout)) return;
  spdlog::warn("spool request for {} unanswered after {}s: 451", s.spool.queue_id(),
               s.settings->spool_timeout.count());
  give_up_request(self, spool_local_error());
}

void send_request(Self* self, SpoolTransaction::Request& r) {
  const uint64_t generation = r.generation, seq = r.seq;
  const bool commit = r.commit;
  auto answer = [=](const spool_reply& reply) {
    if (self->state.spool.claim_answer(seq)) spool_answer(self, generation, commit, reply);
  };
  auto on_error = [=](caf::error& e) {
    spdlog::warn("spool request for {} failed: {}", self->state.spool.queue_id(),
                 self->system().render(e));
    answer(spool_local_error());
  };
  auto on_reply = [=](const spool_reply& reply) {
    HandlerClock clock{self->state.meter};
    answer(reply);
  };
  auto& writer = self->state.writer;
  if (commit)
    self->request(writer, caf::infinite, commit_atom::value, std::move(r.meta),
                  std::move(r.recipients), std::move(r.content))
        .then(on_reply, on_error);
  else
    self->request(writer, caf::infinite, append_atom::value, std::move(r.queue_id),
                  std::move(r.content))
        .then(on_reply, on_error);
}

// Sends buffered content on to the writer when enough has gathered, or commits at the end.
void pump(Self* self) {
  auto& st = self->state;
  auto request = st.spool.next(st.settings->spool_chunk, Clock::now(), unix_now());
  if (!request) return;
  ++st.in_flight;
  if (request->kind != SpoolTransaction::Request::Kind::fail_now)
    trace_note(self, request->commit ? "commit" : "piece",
               std::to_string(request->content.size()) + " bytes to the queue writer" +
                   (request->commit ? ", with the envelope: commit asked" : ""));
  if (request->kind == SpoolTransaction::Request::Kind::fail_now)
    spool_answer(self, request->generation, request->commit, spool_link_lost());
  else
    send_request(self, *request);
}

void add_content(Self* self, std::string bytes) {
  self->state.spool.add(bytes);
  pump(self);
}

void end_message(Self* self) {
  self->state.spool.end();
  pump(self);
}

void abort_message(Self* self) {
  auto& st = self->state;
  trace_abort(self);
  if (st.spool.must_tell_writer_on_abort() && st.writer)
    self->send(st.writer, abort_atom::value, st.spool.queue_id());
  reset_transaction(self);
}

MessageOrigin origin_of(const SessionState& st) {
  MessageOrigin o{
      st.peer.address, st.peer.port, st.settings->listener, st.settings->engine.hostname, {}, {}};
  if (st.tls && st.tls->handshake_done()) {
    o.tls_protocol = st.tls->protocol();
    o.tls_cipher = st.tls->cipher();
  }
  return o;
}

void begin_message(Self* self, const action::BeginMessage& b) {
  auto& st = self->state;
  // Without a ticket (cannot happen after an accepted MAIL): 451.
  if (!st.spool.begin(b.envelope, origin_of(st), unix_now())) {
    perform(self, st.engine->spool_failed(reply_of(spool_local_error())));
    return;
  }
  st.trace.content_started = true;
  trace_note(self, "data",
             std::string(b.envelope.chunked ? "BDAT" : "DATA") + ": the content begins, " +
                 std::to_string(b.envelope.rcpt_to.size()) + " recipient(s)");
}

void ticket_taken(Self* self, const spool_ticket& t) {
  auto& s = self->state;
  if (!t.accepted) {
    perform(self, s.engine->sender_checked(
                      protocol::Verdict::reject(protocol::reply(t.code, t.status, t.text))));
    return;
  }
  s.writer = t.writer;
  // A spool node's writer: its link can be lost mid-transaction.
  bool remote = s.writer && s.writer->node() != self->node();
  s.spool.ticket(t.id, remote);
  trace_start(self, t.id);
  if (remote) self->monitor(s.writer);
  perform(self, s.engine->sender_checked(protocol::Verdict::accept()));
}

void check_sender(Self* self) {
  auto& st = self->state;
  st.mail_started = true;
  ++st.in_flight;
  const uint64_t generation = st.spool.ask_ticket();
  // The spooler is local and answers at once: no timer per request (each one costs clock work).
  self->request(st.spooler, caf::infinite, begin_atom::value, st.peer.address,
                st.settings->listener)
      .then(
          [=](const spool_ticket& t) {
            HandlerClock clock{self->state.meter};
            auto& s = self->state;
            if (s.spool.current(generation) && !s.closed) ticket_taken(self, t);
            finish_request(self);
          },
          [=](caf::error&) {
            auto& s = self->state;
            if (s.spool.current(generation) && !s.closed)
              perform(self, s.engine->sender_checked(
                                protocol::Verdict::reject(reply_of(spool_local_error()))));
            finish_request(self);
          });
}

}  // namespace mailactor::actors::session_detail
