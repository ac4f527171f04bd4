// The queue writer: the one owner of the SQLite connection, on its own thread (it blocks on
// fsync). Everything waiting in its mailbox — appends, commits and aborts of many sessions,
// delivered marks — goes into one transaction; the commits of that batch are answered only after
// it is durable (group commit). The busier the server, the larger the batch and the fewer syncs
// per message.
#pragma once

#include <caf/actor_system.hpp>

#include <memory>

#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "storage/queue_store.hpp"

namespace mailactor::actors {

queue_writer_actor spawn_queue_writer(caf::actor_system& system,
                                      std::shared_ptr<storage::QueueStore> store,
                                      SpoolSettings settings);

}  // namespace mailactor::actors
