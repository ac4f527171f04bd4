// The edge's spooler: the same typed interface as the local one, answered by spool nodes
// (`mailactor spoold`) over CAF remote actors. Each transaction goes to one node, picked
// round-robin among the healthy ones; the session then streams to that node's queue writer, so
// 250 still means "durable on the spool node". A node that cannot be reached is skipped, and
// reconnected with backoff; with none reachable, MAIL gets 451 4.3.0.
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace mailactor::actors {

struct RemoteSpoolSettings {
  struct Node {
    std::string host;
    uint16_t port = 0;
  };
  std::vector<Node> nodes;
  std::chrono::milliseconds timeout{10000};  // per request (connect, begin, stats)
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
};

// Needs the openssl module loaded (the node link is mutual TLS).
spooler_actor spawn_remote_spool(caf::actor_system& system, RemoteSpoolSettings settings);

}  // namespace mailactor::actors
