// The deliverer: after the 250, never on its path. It writes each queued message into the
// Maildir (tmp -> fsync -> envelope JSON -> rename into new/ -> fsync) and then tells the queue
// writer it was delivered. A crash between those steps delivers again: at least once, never lost.
#pragma once

#include <caf/actor_system.hpp>

#include <memory>

#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "storage/maildir.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {

deliverer_actor spawn_deliverer(caf::actor_system& system,
                                std::shared_ptr<storage::QueueReader> reader,
                                std::shared_ptr<storage::Maildir> maildir,
                                queue_writer_actor writer, DeliverySettings settings);

}  // namespace mailactor::actors
