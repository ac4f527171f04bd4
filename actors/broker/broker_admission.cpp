// Which connections get a session: listener and server-wide session caps (accepting pauses, the
// kernel's backlog waits), per-address and rate limits and spool pressure (421 and close).
#include <spdlog/spdlog.h>
#include <caf/io/receive_policy.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "actors/broker/broker_state.hpp"

namespace mailactor::actors::broker_detail {

Connection* registered(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.connections.find(hdl);
  if (it == st.connections.end()) return nullptr;
  if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.session))
    return nullptr;
  return &it->second;
}

void add_listeners(Self* self, BrokerState& st) {
  for (size_t i = 0; i < st.settings->listeners.size(); ++i) {
    const auto& l = st.settings->listeners[i];
    accept_handle h = self->add_doorman(l.fd);
    Listener entry;
    entry.name = l.name;
    entry.index = i;
    entry.session = std::make_shared<SessionSettings>(l.session);
    entry.limits = l.limits;
    entry.proxy = l.proxy;
    st.beat = std::min(st.beat, session_tick_interval(l.session));
    st.listeners.emplace(h, std::move(entry));
    if (st.settings->io_thread == 0)
      spdlog::info("listening on {}:{} ({}, mode {}{})", l.host, l.port, l.name,
                   l.session.mode == ListenerMode::mx ? "mx" : "submission",
                   l.proxy.enabled ? ", PROXY protocol" : "");
  }
}

// A listener stops accepting (new clients wait in the kernel's backlog) while the server or
// the listener itself is at its session limit. The limits count the sessions of every I/O thread:
// a slot freed on another thread is seen here at the next update or beat.
void update_accepting(Self* self, BrokerState& st) {
  if (st.draining) return;
  // A parked connection waits for a slot of its own listener: nothing more is accepted before it.
  const bool server_full = st.ledger->full();
  bool full = server_full || !st.parked.empty();
  if (full != st.global_full) {
    st.global_full = full;
    if (server_full) {
      spdlog::warn("max_sessions ({}) reached: not accepting{}", st.settings->max_sessions,
                   io_note(st));
    } else if (full) {
      spdlog::info("{} accepted connection(s) wait for a session slot: not accepting{}",
                   st.parked.size(), io_note(st));
    } else {
      spdlog::info("accepting again{}", io_note(st));
    }
  }
  for (auto& [hdl, l] : st.listeners) {
    bool own_full = st.ledger->full(l.index);
    bool pause = full || own_full;
    if (pause == l.paused) continue;
    l.paused = pause;
    if (pause) {
      self->halt(hdl);
      if (own_full)
        spdlog::warn("listener {}: max_sessions ({}) reached: not accepting", l.name,
                     l.limits.max_sessions);
    } else {
      self->trigger(hdl);
      if (l.limits.max_sessions > 0) spdlog::info("listener {}: accepting again", l.name);
    }
  }
}

bool clients_waiting(accept_handle hdl) {
  pollfd p{static_cast<int>(hdl.id()), POLLIN, 0};  // the accept handle's id is the fd
  return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

// Seen under connection exhaustion (the table flipping between full and not full many times a
// second): "accepting again" followed by no accept at all while clients waited, for good — the
// trigger right after a halt in the same multiplexer round is lost, as it is for scribes
// (docs/caf-0.17-notes.md).
void repair_accepting(Self* self, BrokerState& st) {
  for (auto& [hdl, l] : st.listeners) {
    const uint64_t taken = l.accepted + l.refused;  // connections taken from the backlog
    bool stuck = !l.paused && !st.draining && taken == l.taken_at_last_beat && clients_waiting(hdl);
    l.taken_at_last_beat = taken;
    if (!stuck) continue;
    ++st.lost_accept_triggers;
    self->trigger(hdl);
  }
}

void forget(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.connections.find(hdl);
  if (it != st.connections.end()) {
    auto lit = st.listeners.find(it->second.listener);
    if (lit != st.listeners.end()) st.ledger->give_back(lit->second.index, it->second.peer);
    st.connections.erase(it);
  }
  admit_parked(self, st);
  update_accepting(self, st);
  if (st.draining && st.connections.empty()) {
    spdlog::info("all sessions closed{}", io_note(st));
    self->quit();
  }
}

namespace {

// Turns a connection away before any session exists. TLS-first listeners get no plaintext.
void refuse(Self* self, connection_handle hdl, const SessionSettings& listener,
            const std::string& reply) {
  // Written straight to the new socket (a few bytes always fit its empty send buffer): a
  // scribe launched only to carry this reply and closed at once is never freed by CAF 0.17.6
  // (LeakSanitizer: ~470 bytes per refused connection, a leak an attacker could drive).
  if (listener.tls_mode != TlsMode::implicit)
    (void)::send(static_cast<int>(hdl.id()), reply.data(), reply.size(),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
  self->close(hdl);
}

// The reason a connection from `peer` may not have a session now, counted, its slot given up;
// nothing when it may (then its address is counted in the ledger too).
const char* refusal(BrokerState& st, Listener& l, const SessionPeer& peer) {
  if (st.level >= pressure::refuse) {
    st.ledger->unhold(l.index);
    ++st.refused_pressure;
    return "421 4.3.2 Service temporarily unavailable, try again later\r\n";
  }
  switch (st.ledger->admit(l.index, peer.address)) {
    case SessionLedger::Refusal::rate:
      ++st.refused_rate;
      return "421 4.7.0 Too many connections from your address, slow down\r\n";
    case SessionLedger::Refusal::per_ip:
      ++st.refused_per_ip;
      spdlog::info("refused {}:{} on {}: {} connections from that address", peer.address, peer.port,
                   l.name, l.limits.max_sessions_per_ip);
      return "421 4.7.0 Too many connections from your address\r\n";
    case SessionLedger::Refusal::none:
      break;
  }
  return nullptr;
}

// False when no slot is free: the connection is parked then (front: it was parked before).
bool admit_or_park(Self* self, BrokerState& st, const caf::io::new_connection_msg& msg,
                   bool front) {
  auto lit = st.listeners.find(msg.source);
  if (st.draining || lit == st.listeners.end()) {
    self->close(msg.handle);
    return true;
  }
  if (!st.ledger->hold(lit->second.index)) {
    if (front)
      st.parked.push_front(msg);
    else
      st.parked.push_back(msg);
    update_accepting(self, st);
    return false;
  }
  if (await_proxy_header(self, st, lit->second, msg)) return true;
  SessionPeer peer{msg.handle, self->remote_addr(msg.handle), self->remote_port(msg.handle)};
  start_session(self, st, msg.source, peer, {});
  return true;
}

}  // namespace

void admit(Self* self, BrokerState& st, const caf::io::new_connection_msg& msg) {
  admit_or_park(self, st, msg, false);
}

void admit_parked(Self* self, BrokerState& st) {
  while (!st.parked.empty()) {
    auto msg = st.parked.front();
    st.parked.pop_front();
    if (!admit_or_park(self, st, msg, true)) return;
  }
}

void start_session(Self* self, BrokerState& st, accept_handle listener, const SessionPeer& peer,
                   std::vector<char> early) {
  Listener& l = st.listeners.at(listener);
  if (const char* reply = refusal(st, l, peer)) {
    ++l.refused;
    refuse(self, peer.hdl, *l.session, reply);
    return;
  }
  auto& home = st.settings->session_system ? *st.settings->session_system : self->system();
  auto session = spawn_session(home, caf::actor_cast<caf::actor>(self), peer, l.session,
                               st.peers.spooler, st.peers.stats, st.peers.auth);
  self->monitor(session);
  Connection c;
  c.listener = listener;
  c.peer = peer.address;
  c.session = session;
  c.address = session.address();
  c.hold_limit = l.session->command_read;
  if (!early.empty()) {
    c.held_bytes = early.size();
    c.held.push_back(std::move(early));
  }
  st.connections.emplace(peer.hdl, std::move(c));
  start_reading(self, peer.hdl, l.session->command_read);
  if (st.stressed) self->send(session, stress_atom::value, true);
  ++st.accepted;
  ++l.accepted;
  update_accepting(self, st);
}

}  // namespace mailactor::actors::broker_detail
