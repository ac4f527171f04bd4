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
#include "actors/broker.hpp"
#include "actors/remote_spool.hpp"
#include "actors/resolver.hpp"
#include "actors/stats.hpp"
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
#include "app/signals.hpp"
#include "app/spool_stack.hpp"
#include "app/web/web_server.hpp"
#include "routing/router_source.hpp"

namespace mailactor::app {
namespace {

actors::SessionSettings session_settings(const Config& c, const ListenerConfig& l,
                                         std::shared_ptr<routing::RouterSource> router) {
  actors::SessionSettings s;
  s.listener = l.name;
  s.mode = l.mode;
  s.router = router;
  s.lookup_timeout = c.routing.lookup_timeout;
  s.relay = c.relay.policy.enabled && c.delivery;
  s.trusted_networks = c.relay.trusted_networks;
  s.command_timeout = l.limits.command_timeout;
  s.data_timeout = l.limits.data_timeout;
  s.greeting_delay = l.limits.greeting_delay;
  s.stress_idle_timeout = l.limits.stress_idle_timeout;
  s.stress_max_errors = l.limits.stress_max_errors;
  auto& e = s.engine;
  e.hostname = c.hostname;
  e.max_message_size = l.limits.max_message_size;
  e.max_recipients = l.limits.max_recipients;
  e.max_messages = l.limits.max_messages_per_session;
  e.max_errors = l.limits.max_errors;
  e.bare_newline = l.limits.bare_newline;
  e.nul_bytes = l.limits.nul_bytes;
  e.max_hops = l.limits.max_hops;
  e.auth_required = l.mode == actors::ListenerMode::submission;
  if (c.auth.backend != "none") e.auth_mechanisms = {"PLAIN", "LOGIN"};
  e.allow_plaintext_auth = l.allow_plaintext_auth;
  e.starttls = l.tls == actors::TlsMode::starttls;
  e.tls_active = l.tls == actors::TlsMode::implicit;
  e.require_tls = l.require_tls;
  s.tls_mode = l.tls;
  s.sender_login_match = l.sender_login_match;
  s.auth_timeout = c.auth.timeout;
  s.max_auth_failures = c.auth.max_failures;
  s.auth_tarpit = c.auth.tarpit;
  // A spool node answers within remote_timeout or the transaction gets 451.
  if (!c.spool_remote.empty())
    s.spool_timeout = std::chrono::duration_cast<std::chrono::seconds>(
        c.remote_timeout + std::chrono::milliseconds(999));
  return s;
}

// The backend the config names ("none": one that never says yes; AUTH is not offered then).
auth::auth_actor make_auth_backend(caf::actor_system& system, const Config& cfg) {
  auth::BackendContext ctx;
  ctx.system = &system;
  for (const auto& l : cfg.listeners)
    ctx.listener_hosts.push_back(split_host_port(l.listen).first);
  const auto known = auth::backend_names();
  for (const auto& [name, opts] : cfg.auth.options.tables) {
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw auth::AuthConfigError(cfg.source + ": [auth." + name + "]: no backend of that name");
  }
  if (cfg.auth.backend == "none") {
    // The reason is an argument: CAF 0.17.6 dereferences a null argument tuple for spawns
    // without arguments (UBSan reports it).
    return system.spawn(
        [](std::string reason) -> auth::auth_actor::behavior_type {
          return {[=](actors::authenticate_atom, const actors::auth_request&) {
            return actors::auth_result::temporary_failure(reason);
          }};
        },
        std::string("no auth backend configured"));
  }
  auto options = cfg.auth.options.for_name(cfg.auth.backend);
  return auth::make_backend(cfg.auth.backend, ctx, options);
}

actors::RemoteSpoolSettings remote_spool_settings(const Config& c) {
  actors::RemoteSpoolSettings s;
  for (const auto& hp : c.spool_remote) {
    auto [host, port] = split_host_port(hp);
    s.nodes.push_back({host, port});
  }
  s.timeout = c.remote_timeout;
  return s;
}

tls::TlsSettings tls_settings(const ListenerConfig& l) {
  return tls::TlsSettings{l.tls_cert, l.tls_key, tls::parse_tls_version(l.tls_min_version)};
}

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
  for (const auto& l : cfg.listeners)
    if (l.tls != actors::TlsMode::none) tls::TlsContext::load(tls_settings(l));
  caf::actor_system_config sys_cfg;
  sys_cfg.set("scheduler.max-threads", 1);
  caf::actor_system system{sys_cfg};
  auto backend = make_auth_backend(system, cfg);
  caf::anon_send_exit(backend, caf::exit_reason::user_shutdown);
}

int serve(const ServeOptions& options) {
  tune_malloc();
  Config cfg;
  try {
    cfg = load_config(options.config);
    if (!options.listen.empty()) {
      split_host_port(options.listen);
      cfg.listeners.resize(1);
      cfg.listeners[0].listen = options.listen;
    }
    if (!options.spool.empty()) cfg.spool_dir = options.spool;
    if (!options.maildir.empty()) cfg.maildir = options.maildir;
    setup_logging(cfg.log_level, cfg.log_file);
  } catch (const std::exception& e) {
    fprintf(stderr, "mailactor: %s\n", e.what());
    return 2;
  }

  const sigset_t signals = block_server_signals();
  const bool edge = !cfg.spool_remote.empty();

  SpoolFiles files;
  std::shared_ptr<routing::RouterSource> router;
  auto broker_settings = std::make_shared<actors::BrokerSettings>();
  auto census = std::make_shared<actors::SessionCensus>();
  std::map<std::string, std::shared_ptr<tls::TlsContextSource>> tls_sources;
  try {
    router = std::make_shared<routing::RouterSource>(make_router(cfg));
    if (!edge) {
      files = open_spool_files(cfg);
      files.router = router;
    }
    broker_settings->max_sessions = cfg.limits.max_sessions;
    broker_settings->stress_percent = cfg.stress_percent;
    broker_settings->shutdown_grace = cfg.shutdown_grace;
    for (const auto& l : cfg.listeners) {
      auto [host, port] = split_host_port(l.listen);
      ListenSocket sock = open_listen_socket(host, port);
      actors::ListenerSettings ls;
      ls.name = l.name;
      ls.host = host;
      ls.port = sock.port;
      ls.fd = sock.fd;
      ls.session = session_settings(cfg, l, router);
      ls.session.census = census;
      ls.limits.max_sessions = l.limits.max_sessions;
      ls.limits.max_sessions_per_ip = l.limits.max_sessions_per_ip;
      ls.limits.max_connection_rate_per_ip = l.limits.max_connection_rate_per_ip;
      ls.proxy = l.proxy;
      if (l.tls != actors::TlsMode::none) {
        auto source =
            std::make_shared<tls::TlsContextSource>(tls::TlsContext::load(tls_settings(l)));
        ls.session.tls = source;
        tls_sources[l.name] = source;
      }
      broker_settings->listeners.push_back(std::move(ls));
    }
    // Ports and files are open: root is not needed any more.
    run_as_configured_user(cfg.user, cfg.group,
                           edge ? std::vector<std::string>{} : files.owned_paths());
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  caf::actor_system_config sys_cfg;
  const size_t threads = configure_actor_system(sys_cfg, cfg);
  caf::actor_system system{sys_cfg};

  actors::auth_front_actor auth_front;
  try {
    auto budget = cfg.auth.budget;
    budget.exempt = cfg.relay.trusted_networks;
    auth_front = auth::spawn_auth_front(system, make_auth_backend(system, cfg), cfg.auth.backend,
                                        cfg.auth.timeout, std::move(budget));
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  auto stats = actors::spawn_stats(system, census);
  auto tracer = start_tracer(system, cfg, stats);
  SpoolStack spool;
  if (edge) {
    spool.spooler = actors::spawn_remote_spool(system, remote_spool_settings(cfg));
    actors::watch(stats, caf::actor_cast<caf::actor>(spool.spooler));
  } else {
    spool = start_spool_stack(system, cfg, files, stats, tracer);
  }
  std::unique_ptr<web::WebServer> metrics;
  actors::resolver_actor resolver;
  // Stops what was spawned above, at shutdown and when a later start step fails: the actor
  // system waits for every actor it spawned before it goes, so without this a failed start
  // would hang (deaf to SIGTERM) instead of exiting.
  auto stop_actors = [&](caf::scoped_actor& self) {
    if (edge) {
      dump_stats(system, stats);
      stop_actor(self, caf::actor_cast<caf::actor>(spool.spooler), std::chrono::seconds(5));
    } else {
      stop_spool_stack(self, spool, stats);
    }
    metrics.reset();  // no scrape may ask a stopped stats actor
    for (auto a : {caf::actor_cast<caf::actor>(tracer), caf::actor_cast<caf::actor>(stats),
                   caf::actor_cast<caf::actor>(auth_front), caf::actor_cast<caf::actor>(resolver)})
      if (a) stop_actor(self, a, std::chrono::seconds(5));
  };
  // A start step after the actors were spawned failed.
  auto cannot_start = [&](const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    caf::scoped_actor self{system};
    stop_actors(self);
    return 1;
  };
  try {
    metrics = start_web(system, cfg, stats, tracer, edge ? std::string() : cfg.spool_dir);
  } catch (const std::exception& e) {
    return cannot_start(e);
  }
  // Resolver threads only when a user source may block; the resolver is set before the broker
  // hands the settings to sessions.
  if (router->current()->may_block()) {
    resolver = actors::spawn_resolvers(system, router, cfg.delivery_workers);
    for (auto& l : broker_settings->listeners)
      l.session.resolver = resolver;
  }
  for (auto& l : broker_settings->listeners)
    l.session.tracer = tracer;
  const size_t io_count = io_thread_count(cfg);
  IoThreads io(system, io_count - 1);
  std::vector<caf::actor> brokers;
  try {
    brokers = spawn_brokers(system, io, broker_settings, spool.spooler, stats, auth_front);
  } catch (const std::exception& e) {
    return cannot_start(e);
  }
  for (const auto& broker : brokers) {
    caf::anon_send(spool.spooler, actors::attach_atom::value, broker);  // pressure levels
    actors::watch(stats, broker);
    actors::watch_sessions(stats, broker);
  }
  actors::watch(stats, caf::actor_cast<caf::actor>(auth_front));
  if (edge)
    spdlog::info(
        "mailactor ready: {} listener(s), spooling to {} spool node(s), {} threads, {} I/O",
        cfg.listeners.size(), cfg.spool_remote.size(), threads, io_count);
  else
    spdlog::info(
        "mailactor ready: {} listener(s), spool {} ({}, {} queue file(s)), delivery {}, {} "
        "threads, {} I/O",
        cfg.listeners.size(), cfg.spool_dir,
        cfg.durability == storage::Durability::fsync ? "fsync" : "none", files.stores.size(),
        cfg.delivery ? "to " + cfg.maildir : std::string("off"), threads, io_count);

  while (true) {
    const int sig = wait_for_signal(signals);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: re-reading {} (auth backend, certificates, routing)", options.config);
      try {
        Config next = load_config(options.config);
        reload_auth(system, next, auth_front);
        reload_tls(next, tls_sources);
        reload_routing(next, *router);
      } catch (const std::exception& e) {
        spdlog::error("SIGHUP: keeping the auth backend, certificates and routing: {}", e.what());
      }
    } else if (sig == SIGUSR1) {
      dump_stats(system, stats);
    } else {
      spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }

  caf::scoped_actor self{system};
  drain_brokers(self, brokers, cfg.shutdown_grace + std::chrono::seconds(15));
  stop_actors(self);
  spdlog::info("mailactor stopped");
  return 0;
}

}  // namespace mailactor::app
