// One actor per connection. It owns everything about the session: the SMTP engine, the open
// spool transaction, the timers. It turns the engine's actions into messages to the broker
// (bytes), the spooler and the queue writer, and their answers back into engine results.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/connection_handle.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "actors/settings.hpp"

namespace mailactor::actors {

struct SessionPeer {
  caf::io::connection_handle hdl;
  std::string address;  // the client's (behind a PROXY-protocol balancer: the one it names)
  uint16_t port = 0;
};

// How often a session on these settings must be ticked to keep its timeouts (the broker ticks
// every session: one timer for all of them instead of one per session on CAF's clock thread).
std::chrono::milliseconds session_tick_interval(const SessionSettings& s);

caf::actor spawn_session(caf::actor_system& system, caf::actor broker, SessionPeer peer,
                         std::shared_ptr<const SessionSettings> settings, spooler_actor spooler,
                         stats_actor stats, auth_front_actor auth);

}  // namespace mailactor::actors
