// The spooler: the sessions' entry to the queue. At MAIL it hands out a queue id and the writer
// to stream to (the queue writers, one per queue file, take transactions in turn), or sheds the
// transaction (451 4.3.2) while a writer is too far behind.
#pragma once

#include <caf/actor_system.hpp>

#include <vector>

#include "actors/messages.hpp"
#include "actors/settings.hpp"

namespace mailactor::actors {

spooler_actor spawn_spooler(caf::actor_system& system, std::vector<queue_writer_actor> writers,
                            SpoolSettings settings);

}  // namespace mailactor::actors
