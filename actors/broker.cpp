#include "actors/broker.hpp"

#include <spdlog/spdlog.h>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>

#include <unordered_map>

#include "actors/session.hpp"

namespace mailactor::actors {
namespace {

using caf::io::accept_handle;
using caf::io::connection_handle;

struct Connection {
  caf::actor session;
  caf::actor_addr address;
};

struct BrokerState {
  std::shared_ptr<const BrokerSettings> settings;
  std::unordered_map<accept_handle, std::shared_ptr<const SessionSettings>> listeners;
  std::unordered_map<connection_handle, Connection> connections;
  bool paused = false;
  bool draining = false;
  bool stopping = false;
  uint64_t accepted = 0;
};

using Self = caf::io::broker;

// The one check that keeps a late write or close of a finished session away from a new
// connection that reuses its fd number.
Connection* registered(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.connections.find(hdl);
  if (it == st.connections.end()) return nullptr;
  if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.session))
    return nullptr;
  return &it->second;
}

void update_accepting(Self* self, BrokerState& st) {
  bool full = st.connections.size() >= st.settings->max_sessions;
  if (st.draining) return;
  if (full && !st.paused) {
    for (auto& l : st.listeners)
      self->halt(l.first);
    st.paused = true;
    spdlog::warn("max_sessions ({}) reached: not accepting", st.settings->max_sessions);
  } else if (!full && st.paused) {
    for (auto& l : st.listeners)
      self->trigger(l.first);
    st.paused = false;
    spdlog::info("accepting again");
  }
}

void forget(Self* self, BrokerState& st, connection_handle hdl) {
  st.connections.erase(hdl);
  update_accepting(self, st);
  if (st.draining && st.connections.empty()) {
    spdlog::info("all sessions closed");
    self->quit();
  }
}

caf::behavior broker_behavior(Self* self, std::shared_ptr<const BrokerSettings> settings,
                              spooler_actor spooler, stats_actor stats) {
  auto st = std::make_shared<BrokerState>();
  st->settings = settings;
  for (const auto& l : settings->listeners) {
    accept_handle h = self->add_doorman(l.fd);
    st->listeners.emplace(h, std::make_shared<SessionSettings>(l.session));
    spdlog::info("listening on {}:{} ({}, mode {})", l.host, l.port, l.name,
                 l.session.mode == ListenerMode::mx ? "mx" : "submission");
  }
  self->set_down_handler([=](caf::down_msg& dm) {
    for (auto it = st->connections.begin(); it != st->connections.end(); ++it) {
      if (it->second.address == dm.source) {
        // The session ended without hanging up (it failed): do not leave the client waiting.
        connection_handle hdl = it->first;
        self->close(hdl);
        forget(self, *st, hdl);
        return;
      }
    }
  });
  return {
      [=](const caf::io::new_connection_msg& msg) {
        auto lit = st->listeners.find(msg.source);
        if (st->draining || lit == st->listeners.end()) {
          self->close(msg.handle);
          return;
        }
        SessionPeer peer{msg.handle, self->remote_addr(msg.handle), self->remote_port(msg.handle)};
        auto session = spawn_session(self->system(), caf::actor_cast<caf::actor>(self), peer,
                                     lit->second, spooler, stats);
        self->monitor(session);
        st->connections.emplace(msg.handle, Connection{session, session.address()});
        self->configure_read(msg.handle, caf::io::receive_policy::at_most(lit->second->read_chunk));
        ++st->accepted;
        update_accepting(self, *st);
      },
      [=](caf::io::new_data_msg& msg) {
        auto it = st->connections.find(msg.handle);
        if (it != st->connections.end())
          self->send(it->second.session, data_atom::value, std::move(msg.buf));
      },
      [=](const caf::io::connection_closed_msg& msg) {
        auto it = st->connections.find(msg.handle);
        if (it == st->connections.end()) return;
        self->send(it->second.session, closed_atom::value);
        forget(self, *st, msg.handle);
      },
      [=](const caf::io::connection_passivated_msg&) {
        // Expected: manual reads pause after every chunk.
      },
      [=](const caf::io::acceptor_closed_msg&) {},
      [=](const caf::io::acceptor_passivated_msg& msg) {
        // trigger(acceptor, n) does not stop accepting by itself in CAF 0.17.6.
        self->halt(msg.handle);
      },
      [=](write_atom, connection_handle hdl, const std::string& bytes) {
        if (!registered(self, *st, hdl)) return;
        self->write(hdl, bytes.size(), bytes.data());
        self->flush(hdl);
      },
      [=](read_atom, connection_handle hdl) {
        if (registered(self, *st, hdl)) self->trigger(hdl, 1);
      },
      [=](hangup_atom, connection_handle hdl) {
        if (!registered(self, *st, hdl)) return;
        self->close(hdl);  // flushes pending writes first
        forget(self, *st, hdl);
      },
      [=](drain_atom) {
        if (st->draining) return;
        st->draining = true;
        for (auto& l : st->listeners)
          self->close(l.first);
        spdlog::info("shutting down: {} sessions finish their transaction (grace {}s)",
                     st->connections.size(), st->settings->shutdown_grace.count());
        for (auto& c : st->connections)
          self->send(c.second.session, drain_atom::value);
        if (st->connections.empty()) {
          self->quit();
          return;
        }
        self->delayed_send(self, st->settings->shutdown_grace, stop_atom::value);
      },
      [=](stop_atom) {
        if (st->stopping) {
          // Sessions that did not close in time: drop them.
          spdlog::warn("closing {} unresponsive connections", st->connections.size());
          for (auto& c : st->connections)
            self->close(c.first);
          self->quit();
          return;
        }
        st->stopping = true;
        spdlog::info("grace period over: closing {} sessions", st->connections.size());
        for (auto& c : st->connections)
          self->send(c.second.session, stop_atom::value);
        self->delayed_send(self, std::chrono::seconds(5), stop_atom::value);
      },
      [=](get_stats_atom) {
        actor_stats s;
        s.name = "broker";
        s.mailbox = self->mailbox().size();
        s.counters["sessions"] = st->connections.size();
        s.counters["accepted"] = st->accepted;
        return s;
      },
  };
}

}  // namespace

caf::actor spawn_broker(caf::actor_system& system, std::shared_ptr<const BrokerSettings> settings,
                        spooler_actor spooler, stats_actor stats) {
  return system.middleman().spawn_broker(broker_behavior, std::move(settings), std::move(spooler),
                                         std::move(stats));
}

}  // namespace mailactor::actors
