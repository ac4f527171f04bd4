// The deliverer: after the 250, never on its path. It reads each queued message's recipients
// that are due, sends one job per route to that route's target actor, and hands the results to
// the queue writer: delivered, failed for good, or tried again later (routing/retry_policy).
// A crash before the writer records a result delivers again: at least once, never lost (the
// targets name files so that a redelivery finds the earlier copy).
#pragma once

#include <caf/actor_system.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {

// The delivery targets by route (routing::to_string(Route): "ingest", "maildir", "lmtp",
// "relay"): a route's jobs go round robin over its pool ("relay": by connection slot, one
// outbound connection each). A route without targets is held in the queue.
using DeliveryTargets = std::map<std::string, std::vector<delivery_target_actor>>;

deliverer_actor spawn_deliverer(caf::actor_system& system,
                                std::shared_ptr<storage::QueueReader> reader,
                                DeliveryTargets targets, queue_writer_actor writer,
                                DeliverySettings settings);

}  // namespace mailactor::actors
