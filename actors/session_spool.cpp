// The session's spool transaction: a ticket at MAIL, content streamed in pieces, the commit
// answered only once durable, an abort when the message will not complete.
#include "actors/session_state.hpp"

#include <spdlog/spdlog.h>

#include "protocol/received.hpp"

namespace mailactor::actors::session_detail {

protocol::Reply reply_of(const spool_reply& r) {
  return protocol::reply(r.code, r.status, r.text);
}

spool_reply link_lost_reply() {
  return spool_reply{false, 0, 451, "4.3.0", kSpoolUnavailableText};
}

void reset_transaction(Self* self) {
  auto& st = self->state;
  if (st.writer_remote) self->demonitor(st.writer.address());
  st.writer_remote = false;
  st.writer_lost = false;
  st.queue_id.clear();
  st.writer = nullptr;
  st.message_open = false;
  st.ending = false;
  st.written = false;
  st.content.clear();
  ++st.txn;
}

// The writer's answer to an append or commit of transaction `txn`; a stale answer (the
// transaction was aborted meanwhile) is ignored.
void spool_result(Self* self, uint64_t txn, bool commit, const spool_reply& r) {
  auto& s = self->state;
  if (s.txn == txn) {
    s.txn_busy = false;
    if (r.ok && !commit) {
      pump(self);
    } else if (r.ok) {
      ++s.messages;
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - s.message_started)
              .count();
      spdlog::info("queued {} from=<{}> rcpts={} size={} ms={} client={}:{}{}{}", s.queue_id,
                   s.meta.mail_from, s.meta.rcpt_to.size(), r.size, ms, s.peer.address, s.peer.port,
                   s.meta.tls_protocol.empty() ? "" : " tls=" + s.meta.tls_protocol,
                   s.meta.auth_user.empty() ? "" : " auth=" + s.meta.auth_user);
      std::string id = s.queue_id;
      reset_transaction(self);
      perform(self, s.engine->queued(id));
    } else {
      spdlog::warn("spool refused {}: {} {}", s.queue_id, r.code, r.text);
      if (commit) reset_transaction(self);
      perform(self, s.engine->spool_failed(reply_of(r)));
    }
  }
}

void spool_answer(Self* self, uint64_t txn, bool commit, const spool_reply& r) {
  spool_result(self, txn, commit, r);
  finish_request(self);
}

// The append or commit in flight is given up with `r`: its answer, should one still come, is
// ignored. No reply is lost by this: the writer answers a commit it made durable after the give-up
// as it would any other, and the client, told 451, sends the message again (at worst twice).
void give_up_request(Self* self, const spool_reply& r) {
  auto& s = self->state;
  if (!s.request_open) return;
  s.request_open = false;
  spool_answer(self, s.txn, s.ending, r);
}

// A remote writer's node went away (the link to the spool node is lost): the transaction fails
// now with 451 instead of when its request times out.
void writer_down(Self* self, const caf::actor_addr& who) {
  auto& s = self->state;
  if (!s.writer_remote || s.writer.address() != who) return;
  spdlog::warn("spool node of {} lost mid-transaction: 451", s.queue_id);
  s.writer_lost = true;
  give_up_request(self, link_lost_reply());  // or the next append or the commit fails (pump)
}

// The session's tick, not a CAF request timeout, bounds an append or commit: a timer per request
// costs two operations on CAF's one clock thread (schedule, cancel), each waking it.
void check_spool_timeout(Self* self) {
  auto& s = self->state;
  if (!s.request_open || Clock::now() - s.request_sent < s.settings->spool_timeout) return;
  spdlog::warn("spool request for {} unanswered after {}s: 451", s.queue_id,
               s.settings->spool_timeout.count());
  give_up_request(self, spool_local_error());
}

// Sends buffered content on to the writer when enough has gathered, or commits at the end.
void pump(Self* self) {
  auto& st = self->state;
  if (!st.message_open || st.txn_busy) return;
  if (!st.ending && st.content.size() < st.settings->spool_chunk) return;
  const uint64_t txn = st.txn;
  const bool commit = st.ending;
  st.txn_busy = true;
  ++st.in_flight;
  if (st.writer_lost) {
    spool_answer(self, txn, commit, link_lost_reply());
    return;
  }
  st.request_open = true;
  st.request_sent = Clock::now();
  const uint64_t request = ++st.request_seq;
  auto answer = [=](const spool_reply& r) {
    auto& s = self->state;
    if (!s.request_open || s.request_seq != request) return;  // given up meanwhile
    s.request_open = false;
    spool_answer(self, txn, commit, r);
  };
  auto on_error = [=](caf::error& e) {
    spdlog::warn("spool request for {} failed: {}", self->state.queue_id, self->system().render(e));
    answer(spool_local_error());
  };
  auto on_reply = [=](const spool_reply& r) {
    HandlerClock clock{self->state.meter};
    answer(r);
  };
  if (commit) {
    st.meta.received_at = unix_now();
    self->request(st.writer, caf::infinite, commit_atom::value, st.meta, std::move(st.content))
        .then(on_reply, on_error);
  } else {
    st.written = true;
    self->request(st.writer, caf::infinite, append_atom::value, st.queue_id, std::move(st.content))
        .then(on_reply, on_error);
  }
  st.content = std::string();
}

void abort_message(Self* self) {
  auto& st = self->state;
  if (st.written && st.writer && !st.writer_lost)
    self->send(st.writer, abort_atom::value, st.queue_id);
  reset_transaction(self);
}

void begin_message(Self* self, const action::BeginMessage& b) {
  auto& st = self->state;
  if (st.queue_id.empty()) {  // no ticket: cannot happen after an accepted MAIL
    perform(self, st.engine->spool_failed(protocol::reply(451, "4.3.0", "Local error")));
    return;
  }
  const auto& env = b.envelope;
  st.message_open = true;
  st.ending = false;
  st.message_started = Clock::now();
  st.meta = storage::MessageMeta{};
  st.meta.id = st.queue_id;
  st.meta.mail_from = env.mail_from;
  st.meta.rcpt_to = env.rcpt_to;
  st.meta.helo = env.helo;
  st.meta.client_addr = st.peer.address;
  st.meta.client_port = st.peer.port;
  st.meta.listener = st.settings->listener;
  st.meta.auth_user = env.auth_user;
  st.meta.protocol = env.with_protocol();
  std::string params;
  if (env.params.size) params += "SIZE=" + std::to_string(*env.params.size);
  if (env.params.body != protocol::BodyType::unspecified)
    params +=
        std::string(params.empty() ? "" : " ") + "BODY=" + protocol::to_string(env.params.body);
  if (env.params.smtputf8) params += std::string(params.empty() ? "" : " ") + "SMTPUTF8";
  st.meta.params = params;
  protocol::ReceivedInfo info;
  if (st.tls && st.tls->handshake_done()) {
    info.tls_protocol = st.meta.tls_protocol = st.tls->protocol();
    info.tls_cipher = st.meta.tls_cipher = st.tls->cipher();
  }
  info.client_ip = st.peer.address;
  info.hostname = st.settings->engine.hostname;
  info.queue_id = st.queue_id;
  info.unix_time = unix_now();
  st.content = protocol::received_header(env, info);
}

void check_sender(Self* self) {
  auto& st = self->state;
  ++st.in_flight;
  const uint64_t txn = ++st.txn;
  // The spooler is local and answers at once: no timer per request (each one costs clock work).
  self->request(st.spooler, caf::infinite, begin_atom::value, st.peer.address,
                st.settings->listener)
      .then(
          [=](const spool_ticket& t) {
            HandlerClock clock{self->state.meter};
            auto& s = self->state;
            if (s.txn == txn && !s.closed) {
              if (t.accepted) {
                s.queue_id = t.id;
                s.writer = t.writer;
                // A spool node's writer: its link can be lost mid-transaction.
                if (s.writer && s.writer->node() != self->node()) {
                  s.writer_remote = true;
                  self->monitor(s.writer);
                }
                perform(self, s.engine->sender_checked(protocol::Verdict::accept()));
              } else {
                perform(self, s.engine->sender_checked(protocol::Verdict::reject(
                                  protocol::reply(t.code, t.status, t.text))));
              }
            }
            finish_request(self);
          },
          [=](caf::error&) {
            auto& s = self->state;
            if (s.txn == txn && !s.closed)
              perform(self, s.engine->sender_checked(protocol::Verdict::reject(
                                protocol::reply(451, "4.3.0", "Local error in processing"))));
            finish_request(self);
          });
}

}  // namespace mailactor::actors::session_detail
