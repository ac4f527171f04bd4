#include "app/spoold.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/observe/stats.hpp"
#include "app/actor_system_setup.hpp"
#include "app/config.hpp"
#include "app/logging.hpp"
#include "app/malloc_tuning.hpp"
#include "app/observability.hpp"
#include "app/privileges.hpp"
#include "app/routing_setup.hpp"
#include "app/signals.hpp"
#include "app/spool_stack.hpp"
#include "app/web/web_server.hpp"

namespace mailactor::app {
namespace {

// How long the actor system may take to end after every actor stopped (end_actor_system).
constexpr std::chrono::seconds kActorSystemEndLimit{3};

// What a spool node needs beyond a plain config; throws ConfigError.
void check_spool_node_config(const Config& cfg) {
  const std::string where = cfg.source + ": ";
  // With listen set there is a [node] table, which the loader accepts only with ca, cert, key.
  if (cfg.node_listen.empty())
    throw ConfigError(where + "node.listen: a spool node needs the address to publish on");
  if (cfg.node_id == 0)
    throw ConfigError(where +
                      "node.id: a spool node needs its own id (1-65535, unique among the spool "
                      "nodes: it goes into every queue id)");
  if (!cfg.spool_remote.empty())
    throw ConfigError(where + "spool.remote: a spool node writes its own spool; remove it");
}

// Serves until SIGTERM/SIGINT, then stops every actor it started; returns the exit code.
int run_spool_node(caf::actor_system& system, const Config& cfg, const SpoolFiles& files,
                   size_t threads, const sigset_t& signals) {
  auto stats = actors::spawn_stats(system);
  auto tracer = start_tracer(system, cfg, stats);
  SpoolStack spool = start_spool_stack(system, cfg, files, stats, tracer);
  std::unique_ptr<web::WebServer> metrics;
  caf::scoped_actor self{system};
  auto stop = [&](int rc) {
    stop_spool_stack(self, spool, stats);
    metrics.reset();
    if (tracer) stop_actor(self, caf::actor_cast<caf::actor>(tracer), std::chrono::seconds(5));
    stop_actor(self, caf::actor_cast<caf::actor>(stats), std::chrono::seconds(5));
    return rc;
  };
  try {
    metrics = start_web(system, cfg, stats, tracer, cfg.spool_dir);
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return stop(1);
  }
  auto [host, port] = split_host_port(cfg.node_listen);
  auto published = caf::openssl::publish(spool.spooler, port, host.c_str(), true);
  if (!published) {
    spdlog::error("cannot start: cannot publish the spooler on {}: {}", cfg.node_listen,
                  system.render(published.error()));
    return stop(1);
  }
  spdlog::info(
      "mailactor spool node {} ready: spooler on {}:{} (mutual TLS, CA {}), spool {} ({}, {} "
      "queue file(s)), delivery {}, {} threads",
      cfg.node_id, host, *published, cfg.node_ca, cfg.spool_dir,
      cfg.durability == storage::Durability::fsync ? "fsync" : "none", files.stores.size(),
      cfg.delivery ? "to " + cfg.maildir : std::string("off"), threads);

  while (true) {
    const int sig = wait_for_signal(signals);
    if (sig == SIGUSR1) {
      dump_stats(system, stats);
    } else if (sig == SIGHUP) {
      spdlog::info("SIGHUP: a spool node has nothing to reload (restart it for a new config)");
    } else {
      spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }
  stop(0);
  spdlog::info("mailactor spool node stopped");
  return 0;
}

}  // namespace

int spoold(const std::string& config) {
  tune_malloc();
  Config cfg;
  try {
    cfg = load_config(config);
    check_spool_node_config(cfg);
    setup_logging(cfg.log_level, cfg.log_file);
  } catch (const std::exception& e) {
    fprintf(stderr, "mailactor: %s\n", e.what());
    return 2;
  }
  const sigset_t signals = block_server_signals();
  SpoolFiles files;
  try {
    files = open_spool_files(cfg);
    files.router = std::make_shared<routing::RouterSource>(make_router(cfg));
    run_as_configured_user(cfg.user, cfg.group, files.owned_paths());
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
  caf::actor_system_config sys_cfg;
  const size_t threads = configure_actor_system(sys_cfg, cfg);
  auto system = std::make_unique<caf::actor_system>(sys_cfg);
  const int rc = run_spool_node(*system, cfg, files, threads, signals);
  end_actor_system(std::move(system), rc, kActorSystemEndLimit);
  return rc;
}

}  // namespace mailactor::app
