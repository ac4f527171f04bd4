#include "app/serve.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <thread>

#include "actors/auth/auth_front.hpp"
#include "actors/broker/broker.hpp"
#include "actors/lookup/resolver.hpp"
#include "actors/observe/stats.hpp"
#include "actors/spool/remote_spool.hpp"
#include "actors/tls/tls_context.hpp"
#include "app/actor_system_setup.hpp"
#include "app/config.hpp"
#include "app/io_threads.hpp"
#include "app/listen_socket.hpp"
#include "app/logging.hpp"
#include "app/malloc_tuning.hpp"
#include "app/observability.hpp"
#include "app/privileges.hpp"
#include "app/routing_setup.hpp"
#include "app/server_settings.hpp"
#include "app/signals.hpp"
#include "app/spool_stack.hpp"
#include "app/web/web_server.hpp"
#include "routing/router_source.hpp"

namespace mailactor::app {
namespace {

// SIGHUP: new certificates for new handshakes; on any error the listener keeps its pair.
void reload_tls(const Config& cfg,
                const std::map<std::string, std::shared_ptr<tls::TlsContextSource>>& sources) {
  for (const auto& l : cfg.listeners) {
    auto it = sources.find(l.name);
    if (it == sources.end() || l.tls == actors::TlsMode::none) continue;
    try {
      it->second->replace(tls::TlsContext::load(tls_settings(l)));
      spdlog::info("SIGHUP: listener {} uses certificate {}", l.name, l.tls_cert);
    } catch (const std::exception& e) {
      spdlog::error("SIGHUP: listener {} keeps its certificate: {}", l.name, e.what());
    }
  }
}

// SIGHUP: the aliases and user sources read again; on any error the router stays as it was.
void reload_routing(const Config& cfg, routing::RouterSource& router) {
  try {
    auto next = make_router(cfg);
    if (next->may_block() && !router.current()->may_block())
      throw ConfigError("[routing] dovecot_userdb was added: restart to start its resolvers");
    router.replace(std::move(next));
    spdlog::info("SIGHUP: routing reloaded ({} aliases)",
                 router.current()->settings().aliases.entries().size());
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: keeping the current routing: {}", e.what());
  }
}

// SIGHUP: swap the auth backend; on any error keep the current one.
void reload_auth(caf::actor_system& system, const Config& cfg,
                 const actors::auth_front_actor& front) {
  try {
    auto backend = make_auth_backend(system, cfg);
    caf::anon_send(front, actors::swap_atom::value, backend, cfg.auth.backend);
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: keeping the current auth backend: {}", e.what());
  }
}

}  // namespace

void check_startable(const Config& cfg) {
  resolve_run_as(cfg.user, cfg.group);
  if (cfg.relay.policy.enabled) check_relay_setup(cfg);
  check_delivery_targets(cfg);
  for (const auto& l : cfg.listeners)
    if (l.tls != actors::TlsMode::none) tls::TlsContext::load(tls_settings(l));
  caf::actor_system_config sys_cfg;
  sys_cfg.set("scheduler.max-threads", 1);
  caf::actor_system system{sys_cfg};
  auto backend = make_auth_backend(system, cfg);
  caf::anon_send_exit(backend, caf::exit_reason::user_shutdown);
}

namespace {

// The config serve runs with: the file, with the command line's overrides; logging set up.
Config serve_config(const ServeOptions& options) {
  Config cfg = load_config(options.config);
  if (!options.listen.empty()) {
    split_host_port(options.listen);
    cfg.listeners.resize(1);
    cfg.listeners[0].listen = options.listen;
  }
  if (!options.spool.empty()) cfg.spool_dir = options.spool;
  if (!options.maildir.empty()) cfg.maildir = options.maildir;
  setup_logging(cfg.log_level, cfg.log_file);
  return cfg;
}

// What is opened while the process may still be root: the queue files, the listening sockets,
// the router's files. Then root is dropped.
struct Opened {
  SpoolFiles files;
  std::shared_ptr<routing::RouterSource> router;
  std::shared_ptr<actors::SessionCensus> census = std::make_shared<actors::SessionCensus>();
  Listeners listeners;
};

Opened open_as_root(const Config& cfg) {
  Opened o;
  const bool edge = !cfg.spool_remote.empty();
  o.router = std::make_shared<routing::RouterSource>(make_router(cfg));
  if (!edge) {
    o.files = open_spool_files(cfg);
    o.files.router = o.router;
  }
  o.listeners = open_listeners(cfg, o.router, o.census);
  // Ports and files are open: root is not needed any more.
  run_as_configured_user(cfg.user, cfg.group,
                         edge ? std::vector<std::string>{} : o.files.owned_paths());
  return o;
}

// The actors of a running server, in the order they stop.
struct Running {
  bool edge = false;
  actors::auth_front_actor auth_front;
  actors::stats_actor stats;
  actors::tracer_actor tracer;
  SpoolStack spool;
  std::unique_ptr<web::WebServer> metrics;
  actors::resolver_actor resolver;
  std::vector<caf::actor> brokers;

  // Stops everything spawned, at shutdown and when a later start step fails: the actor system
  // waits for every actor it spawned before it goes, so a failed start would otherwise hang
  // (deaf to SIGTERM) instead of exiting.
  void stop(caf::actor_system& system, caf::scoped_actor& self) {
    if (edge) {
      if (stats) dump_stats(system, stats);
      if (spool.spooler)
        stop_actor(self, caf::actor_cast<caf::actor>(spool.spooler), std::chrono::seconds(5));
    } else if (spool.spooler) {
      stop_spool_stack(self, spool, stats);
    }
    metrics.reset();  // no scrape may ask a stopped stats actor
    for (auto a : {caf::actor_cast<caf::actor>(tracer), caf::actor_cast<caf::actor>(stats),
                   caf::actor_cast<caf::actor>(auth_front), caf::actor_cast<caf::actor>(resolver)})
      if (a) stop_actor(self, a, std::chrono::seconds(5));
  }
};

// Auth front, stats, tracer, the spool (local or remote), the web listener and the resolvers.
void start_core(caf::actor_system& system, const Config& cfg, Opened& o, Running& r) {
  auto budget = cfg.auth.budget;
  budget.exempt = cfg.relay.trusted_networks;
  r.auth_front = auth::spawn_auth_front(system, make_auth_backend(system, cfg), cfg.auth.backend,
                                        cfg.auth.timeout, std::move(budget));
  r.stats = actors::spawn_stats(system, o.census);
  r.tracer = start_tracer(system, cfg, r.stats);
  if (r.edge) {
    r.spool.spooler = actors::spawn_remote_spool(system, remote_spool_settings(cfg));
    actors::watch(r.stats, caf::actor_cast<caf::actor>(r.spool.spooler));
  } else {
    r.spool = start_spool_stack(system, cfg, o.files, r.stats, r.tracer);
  }
  r.metrics = start_web(system, cfg, r.stats, r.tracer, r.edge ? std::string() : cfg.spool_dir);
  // Resolver threads only when a user source may block; set before the brokers hand the
  // settings to sessions.
  if (o.router->current()->may_block())
    r.resolver = actors::spawn_resolvers(system, o.router, cfg.delivery_workers);
  for (auto& l : o.listeners.brokers->listeners) {
    l.session.resolver = r.resolver;
    l.session.tracer = r.tracer;
  }
}

// The brokers on the I/O threads, and what watches them.
void start_brokers(caf::actor_system& system, IoThreads& io, Opened& o, Running& r) {
  r.brokers =
      spawn_brokers(system, io, o.listeners.brokers, r.spool.spooler, r.stats, r.auth_front);
  for (const auto& broker : r.brokers) {
    caf::anon_send(r.spool.spooler, actors::attach_atom::value, broker);  // pressure levels
    actors::watch(r.stats, broker);
    actors::watch_sessions(r.stats, broker);
  }
  actors::watch(r.stats, caf::actor_cast<caf::actor>(r.auth_front));
}

void log_ready(const Config& cfg, const Opened& o, size_t threads, size_t io_count) {
  if (!cfg.spool_remote.empty())
    spdlog::info(
        "mailactor ready: {} listener(s), spooling to {} spool node(s), {} threads, {} I/O",
        cfg.listeners.size(), cfg.spool_remote.size(), threads, io_count);
  else
    spdlog::info(
        "mailactor ready: {} listener(s), spool {} ({}, {} queue file(s)), delivery {}, {} "
        "threads, {} I/O",
        cfg.listeners.size(), cfg.spool_dir,
        cfg.durability == storage::Durability::fsync ? "fsync" : "none", o.files.stores.size(),
        cfg.delivery ? "to " + cfg.maildir : std::string("off"), threads, io_count);
}

// Until SIGTERM/SIGINT: SIGHUP re-reads what can change while running, SIGUSR1 logs the stats.
void run_until_stopped(const sigset_t& signals, const std::string& config_file,
                       caf::actor_system& system, const Opened& o, const Running& r) {
  while (true) {
    const int sig = wait_for_signal(signals);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: re-reading {} (auth backend, certificates, routing)", config_file);
      try {
        Config next = load_config(config_file);
        reload_auth(system, next, r.auth_front);
        reload_tls(next, o.listeners.tls_sources);
        reload_routing(next, *o.router);
      } catch (const std::exception& e) {
        spdlog::error("SIGHUP: keeping the auth backend, certificates and routing: {}", e.what());
      }
    } else if (sig == SIGUSR1) {
      dump_stats(system, r.stats);
    } else {
      spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      return;
    }
  }
}

}  // namespace

int serve(const ServeOptions& options) {
  tune_malloc();
  Config cfg;
  try {
    cfg = serve_config(options);
  } catch (const std::exception& e) {
    fprintf(stderr, "mailactor: %s\n", e.what());
    return 2;
  }
  const sigset_t signals = block_server_signals();
  Opened opened;
  try {
    opened = open_as_root(cfg);
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  caf::actor_system_config sys_cfg;
  const size_t threads = configure_actor_system(sys_cfg, cfg);
  caf::actor_system system{sys_cfg};
  Running running;
  running.edge = !cfg.spool_remote.empty();
  const size_t io_count = io_thread_count(cfg);
  IoThreads io(system, io_count - 1);
  try {
    start_core(system, cfg, opened, running);
    start_brokers(system, io, opened, running);
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    caf::scoped_actor self{system};
    running.stop(system, self);
    return 1;
  }
  log_ready(cfg, opened, threads, io_count);
  run_until_stopped(signals, options.config, system, opened, running);

  caf::scoped_actor self{system};
  drain_brokers(self, running.brokers, cfg.shutdown_grace + std::chrono::seconds(15));
  running.stop(system, self);
  spdlog::info("mailactor stopped");
  return 0;
}

}  // namespace mailactor::app
