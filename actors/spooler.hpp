// The spooler: the sessions' entry to the queue. At MAIL it hands out a queue id and the writer
// to stream to, or sheds the transaction (451 4.3.2) while the writer is too far behind.
#pragma once

#include <caf/actor_system.hpp>

#include "actors/messages.hpp"
#include "actors/settings.hpp"

namespace mailactor::actors {

spooler_actor spawn_spooler(caf::actor_system& system, queue_writer_actor writer,
                            SpoolSettings settings);

}  // namespace mailactor::actors
