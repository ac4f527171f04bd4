// The broker's behavior: which message goes to which part (see broker_state.hpp).
#include "actors/broker/broker.hpp"

#include <caf/io/middleman.hpp>
#include <caf/io/system_messages.hpp>

#include "actors/broker/broker_state.hpp"

namespace mailactor::actors {
namespace {

using namespace broker_detail;

// A session that ended without hanging up (it failed): do not leave its client waiting.
void session_down(Self* self, BrokerState& st, const caf::down_msg& dm) {
  for (auto it = st.connections.begin(); it != st.connections.end(); ++it) {
    if (it->second.address == dm.source) {
      connection_handle hdl = it->first;
      self->close(hdl);
      forget(self, st, hdl);
      return;
    }
  }
}

caf::behavior broker_behavior(Self* self, std::shared_ptr<const BrokerSettings> settings,
                              SessionPeers peers) {
  auto st = std::make_shared<BrokerState>();
  st->ledger = settings->ledger ? settings->ledger : SessionLedger::for_brokers(*settings);
  st->settings = std::move(settings);
  st->peers = std::move(peers);
  add_listeners(self, *st);
  self->delayed_send(self, st->beat, beat_atom::value);
  self->set_down_handler([=](caf::down_msg& dm) { session_down(self, *st, dm); });
  return {
      [=](const caf::io::new_connection_msg& msg) {
        HandlerClock clock{st->meter};
        admit(self, *st, msg);
      },
      [=](caf::io::new_data_msg& msg) {
        HandlerClock clock{st->meter};
        if (!on_proxy_data(self, *st, msg)) on_data(self, *st, msg);
      },
      [=](const caf::io::connection_closed_msg& msg) {
        HandlerClock clock{st->meter};
        on_closed(self, *st, msg.handle);
      },
      [=](const caf::io::data_transferred_msg& msg) { on_transferred(self, *st, msg); },
      [=](const caf::io::connection_passivated_msg&) {
        // Expected: manual reads pause after every chunk.
      },
      [=](const caf::io::acceptor_closed_msg&) {},
      [=](const caf::io::acceptor_passivated_msg& msg) {
        // trigger(acceptor, n) does not stop accepting by itself in CAF 0.17.6.
        self->halt(msg.handle);
      },
      [=](write_atom, connection_handle hdl, const std::string& bytes, uint32_t credit,
          bool mail_started) {
        HandlerClock clock{st->meter};
        on_write(self, *st, hdl, bytes, credit, mail_started);
      },
      [=](resume_atom, connection_handle hdl) {
        auto it = st->connections.find(hdl);
        if (it != st->connections.end()) grant(self, *st, hdl, it->second);
      },
      [=](pressure_atom, uint8_t level) { st->level = static_cast<pressure>(level); },
      [=](tick_atom) { check_watches(self, *st); },
      [=](beat_atom) { beat(self, *st); },
      [=](hangup_atom, connection_handle hdl) {
        HandlerClock clock{st->meter};
        if (!registered(self, *st, hdl)) return;
        self->close(hdl);  // flushes pending writes first
        forget(self, *st, hdl);
      },
      [=](drain_atom) { drain(self, *st); },
      [=](stop_atom) { stop(self, *st); },
      [=](get_stats_atom) { return broker_stats(self, *st); },
      [=](list_atom) {
        std::vector<caf::actor> sessions;
        sessions.reserve(st->connections.size());
        for (const auto& [hdl, c] : st->connections)
          sessions.push_back(c.session);
        return sessions;
      },
  };
}

}  // namespace

caf::actor spawn_broker(caf::actor_system& system, std::shared_ptr<const BrokerSettings> settings,
                        spooler_actor spooler, stats_actor stats, auth_front_actor auth) {
  return system.middleman().spawn_broker(
      broker_behavior, std::move(settings),
      SessionPeers{std::move(spooler), std::move(stats), std::move(auth)});
}

}  // namespace mailactor::actors
