// The broker's clock and its end: every session ticked on one beat, graceful drain (no new
// connections, open transactions finish for shutdown_grace), then stop; and its statistics.
#include <spdlog/spdlog.h>

#include "actors/observe/metric_catalogue.hpp"

#include <map>

#include "actors/broker/broker_state.hpp"
#include "actors/limits/stress_policy.hpp"

namespace mailactor::actors::broker_detail {

std::string io_note(const BrokerState& st) {
  if (st.settings->io_thread == 0) return "";
  return " (I/O thread " + std::to_string(st.settings->io_thread + 1) + ")";
}

namespace {

// Sessions asked to make room per beat at most: enough to keep a queue of real clients moving,
// few enough that a short burst does not empty the table.
constexpr size_t kEvictionsPerBeat = 20;
// A session this fresh is not idle yet (its client may be about to speak).
constexpr std::chrono::milliseconds kMinIdle{1000};

void update_stress(Self* self, BrokerState& st) {
  const size_t in_use = st.ledger->in_use();  // on every I/O thread
  bool now =
      under_stress(in_use, st.settings->max_sessions, st.settings->stress_percent, st.stressed);
  if (now == st.stressed) return;
  st.stressed = now;
  ++st.stress_changes;
  if (now)
    spdlog::warn(
        "stress: {} of {} sessions in use: idle sessions without MAIL get short "
        "timeouts and, while the table is full, make room for waiting clients{}",
        in_use, st.settings->max_sessions, io_note(st));
  else
    spdlog::info("stress over: {} of {} sessions in use{}", in_use, st.settings->max_sessions,
                 io_note(st));
  for (const auto& [hdl, c] : st.connections)
    self->send(c.session, stress_atom::value, now);
}

// At max_sessions with clients in the backlog, the idle sessions that never sent MAIL make room
// (stress_policy.hpp says which).
void make_room(Self* self, BrokerState& st) {
  bool waiting = false;
  for (const auto& [hdl, l] : st.listeners)
    waiting = waiting || (l.paused && clients_waiting(hdl));
  waiting = waiting || !st.parked.empty();
  if (!waiting) return;
  std::vector<EvictionCandidate> candidates;
  std::vector<Connection*> by_key;
  candidates.reserve(st.connections.size());
  for (auto& [hdl, c] : st.connections) {
    if (c.evicting) continue;
    candidates.push_back({by_key.size(), c.peer, c.last_input, c.mail_started});
    by_key.push_back(&c);
  }
  for (uint64_t key :
       pick_evictions(candidates, std::chrono::steady_clock::now(), kMinIdle, kEvictionsPerBeat)) {
    Connection* c = by_key[key];
    c->evicting = true;
    ++st.evicted;
    self->send(c->session, evict_atom::value);
  }
}

}  // namespace

void beat(Self* self, BrokerState& st) {
  for (const auto& [hdl, c] : st.connections)
    self->send(c.session, tick_atom::value);
  update_stress(self, st);
  admit_parked(self, st);  // slots the brokers of other I/O threads freed
  update_accepting(self, st);
  repair_accepting(self, st);
  expire_proxy_headers(self, st);
  // Only under stress (stress_percent = 0 turns it off with the rest); make_room itself looks for
  // a paused listener with clients waiting.
  if (st.stressed) make_room(self, st);
  self->delayed_send(self, st.beat, beat_atom::value);
}

void drain(Self* self, BrokerState& st) {
  if (st.draining) return;
  st.draining = true;
  for (auto& l : st.listeners)
    self->close(l.first);
  close_proxy_pending(self, st);
  for (const auto& parked : st.parked)
    self->close(parked.handle);
  st.parked.clear();
  spdlog::info("shutting down: {} sessions finish their transaction (grace {}s){}",
               st.connections.size(), st.settings->shutdown_grace.count(), io_note(st));
  for (auto& c : st.connections)
    self->send(c.second.session, drain_atom::value);
  if (st.connections.empty()) {
    self->quit();
    return;
  }
  self->delayed_send(self, st.settings->shutdown_grace, stop_atom::value);
}

void stop(Self* self, BrokerState& st) {
  if (st.stopping) {
    // Sessions that did not close in time: drop them.
    spdlog::warn("closing {} unresponsive connections{}", st.connections.size(), io_note(st));
    for (auto& c : st.connections)
      self->close(c.first);
    self->quit();
    return;
  }
  st.stopping = true;
  spdlog::info("grace period over: closing {} sessions{}", st.connections.size(), io_note(st));
  for (auto& c : st.connections)
    self->send(c.second.session, stop_atom::value);
  self->delayed_send(self, std::chrono::seconds(5), stop_atom::value);
}

actor_stats broker_stats(Self* self, const BrokerState& st) {
  actor_stats s;
  s.name = "broker";
  s.mailbox = self->mailbox().size();
  using metrics::Id;
  metrics::Figures f;
  f.set(Id::broker_sessions, st.connections.size());
  f.set(Id::broker_accepted, st.accepted);
  f.set(Id::refused_per_ip, st.refused_per_ip);
  f.set(Id::refused_pressure, st.refused_pressure);
  f.set(Id::refused_rate, st.refused_rate);
  f.set(Id::refused_proxy, st.refused_proxy);
  f.set(Id::awaiting_proxy_header, st.pending_proxy.size());
  f.set(Id::parked, st.parked.size());
  f.set(Id::lost_triggers, st.lost_triggers);
  f.set(Id::lost_accept_triggers, st.lost_accept_triggers);
  f.set(Id::stress, st.stressed ? 1 : 0);
  f.set(Id::stress_changes, st.stress_changes);
  f.set(Id::broker_evicted_idle, st.evicted);
  // This broker's part: the stats actor adds up the brokers of all I/O threads.
  std::map<accept_handle, uint64_t> in_use;
  for (const auto& [hdl, c] : st.connections)
    ++in_use[c.listener];
  for (const auto& [hdl, p] : st.pending_proxy)
    ++in_use[p.listener];
  for (const auto& [hdl, l] : st.listeners) {
    f.set(Id::listener_sessions, l.name, in_use[hdl]);
    f.set(Id::listener_accepted, l.name, l.accepted);
    f.set(Id::listener_refused, l.name, l.refused);
  }
  s.counters = std::move(f.values());
  s.handled = st.meter.handled;
  s.busy_us = st.meter.busy_us;
  return s;
}

}  // namespace mailactor::actors::broker_detail
