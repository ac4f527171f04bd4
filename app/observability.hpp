// What lets operators watch a node: the tracer (per-message traces) and the metrics listener
// (Prometheus, the live page, /stats.json, /trace), started alike by `serve` and `spoold`.
#pragma once

#include <caf/actor_system.hpp>

#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "app/config.hpp"
#include "app/web/web_server.hpp"

namespace mailactor::app {

// Spawned (and watched by `stats`) only where traces can be read: [metrics] listen set and
// trace_messages > 0; else null, and nothing is traced.
actors::tracer_actor start_tracer(caf::actor_system& system, const Config& cfg,
                                  const actors::stats_actor& stats);

// The metrics listener, or null when [metrics] listen is empty. `spool_dir`: the queue traces
// read ("" on an edge node). Throws std::exception with a message for the operator.
std::unique_ptr<web::WebServer> start_web(caf::actor_system& system, const Config& cfg,
                                          const actors::stats_actor& stats,
                                          const actors::tracer_actor& tracer,
                                          const std::string& spool_dir);

}  // namespace mailactor::app
