// The I/O broker: owns the listening sockets and every connection, and only moves bytes. Each
// connection gets a session actor; the broker reads for it only when the session grants a
// credit, and writes/closes only on behalf of the session registered for that handle (handles
// are fd numbers and get reused: a late message from a finished session must not reach a new
// connection).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>

#include "actors/messages.hpp"
#include "actors/settings.hpp"

namespace mailactor::actors {

// Spawns the broker on the middleman. Send it (drain_atom) to shut down gracefully: it stops
// accepting, lets sessions finish their transaction for the grace period, then stops them, and
// quits when the last connection is gone.
caf::actor spawn_broker(caf::actor_system& system, std::shared_ptr<const BrokerSettings> settings,
                        spooler_actor spooler, stats_actor stats, auth_front_actor auth);

}  // namespace mailactor::actors
