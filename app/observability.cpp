#include "app/observability.hpp"

#include <spdlog/spdlog.h>

#include "actors/observe/stats.hpp"
#include "actors/observe/tracer.hpp"

namespace mailactor::app {

actors::tracer_actor start_tracer(caf::actor_system& system, const Config& cfg,
                                  const actors::stats_actor& stats) {
  if (cfg.metrics_listen.empty() || cfg.trace_messages == 0) return {};
  trace::RingLimits limits;
  limits.messages = cfg.trace_messages;
  auto tracer = actors::spawn_tracer(system, limits);
  actors::watch(stats, caf::actor_cast<caf::actor>(tracer));
  return tracer;
}

std::unique_ptr<web::WebServer> start_web(caf::actor_system& system, const Config& cfg,
                                          const actors::stats_actor& stats,
                                          const actors::tracer_actor& tracer,
                                          const std::string& spool_dir) {
  if (cfg.metrics_listen.empty()) return nullptr;
  web::WebAccess access = cfg.metrics_access;
  access.host_names.push_back(cfg.hostname);  // the server's own name is always one
  auto web = std::make_unique<web::WebServer>(
      system, stats, web::WebSettings{cfg.metrics_listen, access, tracer, spool_dir});
  spdlog::info("metrics on http://{}/metrics, live view on http://{}/", cfg.metrics_listen,
               cfg.metrics_listen);
  return web;
}

}  // namespace mailactor::app
