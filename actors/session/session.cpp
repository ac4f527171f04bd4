#include "actors/session/session.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>

#include <algorithm>
#include <variant>

#include "actors/session/recipient_policy.hpp"
#include "actors/session/session_state.hpp"

namespace mailactor::actors {
namespace session_detail {

void log_rejections(Self* self, std::string_view bytes) {
  auto& st = self->state;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find("\r\n", pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    if (line.size() > 3 && (line[0] == '4' || line[0] == '5') && line[3] == ' ') {
      ++st.rejections[std::string(line.substr(0, 3))];
      spdlog::info("reject {}:{} {}", st.peer.address, st.peer.port, line);
    }
    pos = end + 2;
  }
}

// Output gathers while the session performs and leaves with the read credit that follows it
// (or alone, see flush_output): one broker message per turn instead of one per reply plus one
// per read.
void write_raw(Self* self, std::string bytes) {
  auto& st = self->state;
  if (st.outbox.empty())
    st.outbox = std::move(bytes);
  else
    st.outbox += bytes;
  if (!st.performing) flush_output(self);
}

void flush_output(Self* self, uint32_t credit) {
  auto& st = self->state;
  if (st.outbox.empty() && credit == 0) return;
  self->send(st.broker, write_atom::value, st.peer.hdl, std::move(st.outbox), credit,
             st.mail_started);
  st.outbox = std::string();
}

void write(Self* self, std::string bytes) {
  auto& st = self->state;
  log_rejections(self, bytes);
  if (st.tls && st.tls->handshake_done()) {
    st.tls->send(bytes);
    bytes = st.tls->take_output();
  }
  write_raw(self, std::move(bytes));
}

void maybe_read(Self* self) {
  auto& st = self->state;
  if (st.closed || st.read_requested || st.in_flight > 0 || st.performing) return;
  bool handshaking = st.tls && !st.tls->handshake_done();
  if (!st.engine->wants_input() && !handshaking) return;
  st.read_requested = true;
  // A command must arrive whole within command_timeout: a client trickling a byte at a time
  // (slowloris) does not restart the clock. Content restarts it on every read (RFC 5321
  // §4.5.3.2.6: the DATA block timeout is between reads).
  if (st.engine->buffered_bytes() == 0 || st.engine->waiting() == protocol::Waiting::data)
    st.waiting_since = Clock::now();
  spdlog::debug("read {}:{}", st.peer.address, st.peer.port);
  // Commands are short: small reads keep idle and chatty sessions cheap (CAF allocates and
  // zero-fills the whole read size for every read). Content comes in big reads.
  bool content = st.engine->waiting() == protocol::Waiting::data;
  auto size = static_cast<uint32_t>(content ? st.settings->read_chunk : st.settings->command_read);
  flush_output(self, size);
}

std::chrono::seconds current_timeout(const SessionState& st) {
  if (st.engine->waiting() == protocol::Waiting::data) return st.settings->data_timeout;
  // Under stress a session that has not sent MAIL holds its slot only briefly (Postfix:
  // smtpd_timeout ${stress?10}{300}).
  // (No MAIL yet means no transaction either.)
  if (st.stressed && !st.mail_started)
    return std::min(st.settings->command_timeout, st.settings->stress_idle_timeout);
  return st.settings->command_timeout;
}

void set_stress(Self* self, bool stressed) {
  auto& st = self->state;
  st.stressed = stressed;
  const size_t normal = st.settings->engine.max_errors;
  const size_t tight = st.settings->stress_max_errors;
  st.engine->set_max_errors(stressed && (normal == 0 || tight < normal) ? tight : normal);
}

// The broker's table is full and clients wait: an idle session that never sent MAIL makes room.
void evict(Self* self) {
  auto& st = self->state;
  if (st.closed || st.mail_started) return;  // no MAIL ever: no transaction, no spool either
  spdlog::info("evict {}:{}: session table full, idle without MAIL", st.peer.address, st.peer.port);
  count(self, metrics::Id::evicted_idle);
  perform(self, st.engine->terminate(
                    protocol::reply(421, "4.7.0", "Too many connections: idle session closed")));
}

// The broker's tick (session_tick_interval) checks the RFC 5321 timeouts and the spool's. A
// timer per session on CAF's clock cost its one thread a schedule and a firing per session — at
// thousands of short sessions a second, a tenth of the server's CPU; a pending delayed_send also
// kept its finished session alive (~2 KB) until it fired. (A receive timeout, re-armed by CAF on
// every message, cost 25% throughput.)
void on_tick(Self* self) {
  auto& st = self->state;
  if (st.closed) return;
  check_spool_timeout(self);
  if (st.closed) return;
  auto limit = current_timeout(st);
  auto waiting = st.engine->waiting();
  bool waits_for_client = st.read_requested &&
                          (waiting == protocol::Waiting::command ||
                           waiting == protocol::Waiting::data || waiting == protocol::Waiting::tls);
  if (waits_for_client && Clock::now() - st.waiting_since >= limit) {
    spdlog::info("timeout {}:{} after {}s", st.peer.address, st.peer.port, limit.count());
    perform(self, st.engine->timeout());
  }
}

void finish_request(Self* self) {
  --self->state.in_flight;
  maybe_read(self);
}

void close_session(Self* self) {
  auto& st = self->state;
  if (st.closed) return;
  st.closed = true;
  if (st.spool.open()) abort_message(self);
  if (st.tls && st.tls->handshake_done()) {
    st.tls->shutdown();
    write_raw(self, st.tls->take_output());
  }
  flush_output(self);
  self->send(st.broker, hangup_atom::value, st.peer.hdl);
  auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - st.connected);
  // Totals go to the stats actor in one message per session, not one per event.
  // "handled" and "busy_us" are the sessions' actor figures (stats.cpp), not metrics of their own.
  metrics::Figures totals;
  totals.set(metrics::Id::sessions_closed, 1);
  totals.values()["handled"] = st.meter.handled;
  totals.values()["busy_us"] = st.meter.busy_us;
  if (st.messages) totals.set(metrics::Id::messages_queued, st.messages);
  uint64_t rejected = 0;
  for (const auto& [code, n] : st.rejections) {
    totals.set(metrics::Id::rejections, code, n);
    rejected += n;
  }
  spdlog::info("disconnect {}:{} messages={} rejected={} ms={}", st.peer.address, st.peer.port,
               st.messages, rejected, secs.count());
  self->send(st.stats, count_atom::value, std::move(totals.values()));
  self->quit();
}

void note_activity(Self* self) {
  auto& st = self->state;
  const char* now = st.tls && !st.tls->handshake_done() ? "tls" : st.engine->activity();
  if (now != st.activity) {
    st.activity = now;
    st.census.set(now);
    st.activity_since = Clock::now();
  }
}

void count(Self* self, metrics::Id id) {
  self->send(self->state.stats, count_atom::value, metrics::key(id), uint64_t{1});
}

void count(Self* self, metrics::Id id, const std::string& label) {
  self->send(self->state.stats, count_atom::value, metrics::key(id, label), uint64_t{1});
}

// One step per engine action, as an overload set with no catch-all: std::visit does not compile
// when the engine gains an action that has no step here.
struct ActionStep {
  Self* self;
  void operator()(action::Send& a) const { write(self, std::move(a.bytes)); }
  void operator()(action::CheckSender& a) const {
    self->state.trace.mail_from = a.address;
    if (sender_allowed(self, a.address)) check_sender(self);
  }
  void operator()(action::CheckRecipient& a) const { check_recipient(self, a.address, a.params); }
  void operator()(action::Authenticate& a) const { authenticate(self, a); }
  void operator()(action::BeginMessage& a) const { begin_message(self, a); }
  void operator()(action::MessageChunk& a) const { add_content(self, std::move(a.bytes)); }
  void operator()(action::EndMessage&) const { end_message(self); }
  void operator()(action::AbortMessage&) const { abort_message(self); }
  void operator()(action::StartTls&) const { start_tls(self); }
  void operator()(action::Close&) const { close_session(self); }
};

void perform(Self* self, Actions actions) {
  auto& st = self->state;
  for (auto& a : actions)
    st.todo.push_back(std::move(a));
  if (st.performing) return;
  st.performing = true;
  while (!st.todo.empty() && !st.closed) {
    Action a = std::move(st.todo.front());
    st.todo.pop_front();
    std::visit(ActionStep{self}, a);
  }
  st.todo.clear();
  st.performing = false;
  if (st.closed) return;
  note_activity(self);
  if (st.engine->helo() != st.logged_helo) {
    st.logged_helo = st.engine->helo();
    st.trace.helo_us = trace::now_us();
    spdlog::info("helo {}:{} {}", st.peer.address, st.peer.port, st.logged_helo);
  }
  // Graceful shutdown: leave once no transaction is open.
  if (st.draining && !st.engine->in_transaction() && st.in_flight == 0 &&
      st.engine->waiting() == protocol::Waiting::command) {
    perform(self, st.engine->shutdown());
    return;
  }
  maybe_read(self);
  flush_output(self);
}

}  // namespace session_detail

namespace {
using namespace session_detail;

// The first thing a session does: TLS first (implicit), a delayed greeting, or the greeting.
void open_session(Self* self) {
  auto& st = self->state;
  spdlog::info("connect {}:{} listener={}", st.peer.address, st.peer.port, st.settings->listener);
  if (st.settings->tls_mode == TlsMode::implicit) {
    start_tls(self);  // the greeting follows the handshake
    maybe_read(self);
  } else {
    st.engine->set_tls_available(st.settings->tls != nullptr);
    if (st.settings->greeting_delay.count() > 0) {
      // Listen before greeting: a client that does not wait is an early talker (RFC 5321
      // §3.1: the client waits for the greeting), typically spam software.
      st.greeting_pending = true;
      self->delayed_send(self, st.settings->greeting_delay, greet_atom::value);
      maybe_read(self);
    } else {
      perform(self, st.engine->greet());
    }
  }
  note_activity(self);
}

// Bytes from the client: to TLS, to the engine, or the end of an early talker.
void on_data(Self* self, std::vector<char>& bytes) {
  auto& s = self->state;
  s.read_requested = false;
  spdlog::debug("data {}:{} {} bytes in_flight={}", s.peer.address, s.peer.port, bytes.size(),
                s.in_flight);
  if (s.closed) return;
  if (s.greeting_pending) {
    s.greeting_pending = false;
    spdlog::info("early talker {}:{}: {} bytes before the greeting", s.peer.address, s.peer.port,
                 bytes.size());
    count(self, metrics::Id::early_talkers);
    perform(self, s.engine->terminate(protocol::reply(
                      554, "5.5.0", "Protocol error: talking before the greeting")));
    return;
  }
  if (s.tls) {
    tls_input(self, std::string_view(bytes.data(), bytes.size()));
    return;
  }
  perform(self, s.engine->input(std::string_view(bytes.data(), bytes.size())));
}

session_view view_of(Self* self) {
  auto& s = self->state;
  auto now = Clock::now();
  auto ms = [&](Clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now - t).count());
  };
  session_view v;
  v.client = s.peer.address + ":" + std::to_string(s.peer.port);
  v.listener = s.settings->listener;
  v.state = s.activity;
  v.in_state_ms = ms(s.activity_since);
  v.connected_ms = ms(s.connected);
  v.messages = s.messages;
  v.mailbox = self->mailbox().size();
  v.handled = s.meter.handled;
  v.busy_us = s.meter.busy_us;
  return v;
}

caf::behavior session_behavior(Self* self, caf::actor broker, SessionPeer peer,
                               std::shared_ptr<const SessionSettings> settings,
                               spooler_actor spooler, stats_actor stats, auth_front_actor auth) {
  auto& st = self->state;
  st.engine = std::make_unique<protocol::Engine>(settings->engine);
  st.broker = std::move(broker);
  st.peer = std::move(peer);
  st.settings = std::move(settings);
  st.census.join(st.settings->census.get(), st.activity);
  st.spooler = std::move(spooler);
  st.stats = std::move(stats);
  st.auth = std::move(auth);
  self->set_down_handler([=](caf::down_msg& dm) { writer_down(self, dm.source); });
  open_session(self);
  return {
      [=](data_atom, std::vector<char>& bytes) {
        HandlerClock clock{self->state.meter};
        on_data(self, bytes);
      },
      [=](closed_atom) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        if (s.spool.open() || s.engine->in_transaction())
          spdlog::info("lost {}:{} mid-transaction: nothing queued", s.peer.address, s.peer.port);
        s.read_requested = false;
        close_session(self);
      },
      [=](auth_done_atom) { auth_failed(self); },
      [=](greet_atom) {
        auto& s = self->state;
        if (s.closed || !s.greeting_pending) return;
        s.greeting_pending = false;
        perform(self, s.engine->greet());
      },
      [=](drain_atom) {
        self->state.draining = true;
        perform(self, {});
      },
      [=](stop_atom) {
        if (!self->state.closed) perform(self, self->state.engine->shutdown());
      },
      [=](tick_atom) {
        HandlerClock clock{self->state.meter};
        on_tick(self);
      },
      [=](stress_atom, bool stressed) { set_stress(self, stressed); },
      [=](evict_atom) { evict(self); },
      [=](get_stats_atom) { return view_of(self); },
  };
}

}  // namespace

std::chrono::milliseconds session_tick_interval(const SessionSettings& s) {
  auto shortest = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::min(s.command_timeout, s.data_timeout));
  return std::clamp(shortest / 4, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
}

caf::actor spawn_session(caf::actor_system& system, caf::actor broker, SessionPeer peer,
                         std::shared_ptr<const SessionSettings> settings, spooler_actor spooler,
                         stats_actor stats, auth_front_actor auth) {
  return system.spawn(session_behavior, std::move(broker), std::move(peer), std::move(settings),
                      std::move(spooler), std::move(stats), std::move(auth));
}

}  // namespace mailactor::actors
