// The broker's clock and its end: every session ticked on one beat, graceful drain (no new
// connections, open transactions finish for shutdown_grace), then stop; and its statistics.
#include <spdlog/spdlog.h>

#include "actors/broker_state.hpp"

namespace mailactor::actors::broker_detail {

void beat(Self* self, BrokerState& st) {
  for (const auto& [hdl, c] : st.connections)
    self->send(c.session, tick_atom::value);
  self->delayed_send(self, st.beat, beat_atom::value);
}

void drain(Self* self, BrokerState& st) {
  if (st.draining) return;
  st.draining = true;
  for (auto& l : st.listeners)
    self->close(l.first);
  spdlog::info("shutting down: {} sessions finish their transaction (grace {}s)",
               st.connections.size(), st.settings->shutdown_grace.count());
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
    spdlog::warn("closing {} unresponsive connections", st.connections.size());
    for (auto& c : st.connections)
      self->close(c.first);
    self->quit();
    return;
  }
  st.stopping = true;
  spdlog::info("grace period over: closing {} sessions", st.connections.size());
  for (auto& c : st.connections)
    self->send(c.second.session, stop_atom::value);
  self->delayed_send(self, std::chrono::seconds(5), stop_atom::value);
}

actor_stats broker_stats(Self* self, const BrokerState& st) {
  actor_stats s;
  s.name = "broker";
  s.mailbox = self->mailbox().size();
  s.counters["sessions"] = st.connections.size();
  s.counters["accepted"] = st.accepted;
  s.counters["refused_per_ip"] = st.refused_per_ip;
  s.counters["refused_pressure"] = st.refused_pressure;
  s.counters["refused_rate"] = st.refused_rate;
  s.counters["lost_triggers_repaired"] = st.lost_triggers;
  for (const auto& [hdl, l] : st.listeners) {
    s.counters["listener:" + l.name + ":sessions"] = l.active;
    s.counters["listener:" + l.name + ":accepted"] = l.accepted;
    s.counters["listener:" + l.name + ":refused"] = l.refused;
  }
  s.handled = st.meter.handled;
  s.busy_us = st.meter.busy_us;
  return s;
}

}  // namespace mailactor::actors::broker_detail
