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
#include "actors/deliverer.hpp"
#include "actors/queue_writer.hpp"
#include "actors/spooler.hpp"
#include "actors/stats.hpp"
#include "actors/tls/tls_context.hpp"
#include "app/config.hpp"
#include "app/listen_socket.hpp"
#include "app/logging.hpp"
#include "app/metrics.hpp"
#include "app/privileges.hpp"
#include "storage/maildir.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::app {
namespace {

actors::SessionSettings session_settings(const Config& c, const ListenerConfig& l) {
  actors::SessionSettings s;
  s.listener = l.name;
  s.mode = l.mode;
  s.local_domains = c.local_domains;
  s.command_timeout = l.limits.command_timeout;
  s.data_timeout = l.limits.data_timeout;
  s.greeting_delay = l.limits.greeting_delay;
  auto& e = s.engine;
  e.hostname = c.hostname;
  e.max_message_size = l.limits.max_message_size;
  e.max_recipients = l.limits.max_recipients;
  e.max_messages = l.limits.max_messages_per_session;
  e.max_errors = l.limits.max_errors;
  e.bare_newline = l.limits.bare_newline;
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
  return s;
}

void log_stats(const std::vector<actors::actor_stats>& all) {
  for (const auto& s : all) {
    std::string line;
    for (const auto& [k, v] : s.counters)
      line += " " + k + "=" + std::to_string(v);
    spdlog::info("stats {} mailbox={} high_water={}{}", s.name, s.mailbox, s.mailbox_high_water,
                 line);
    if (s.name == "queue_writer") {
      auto batches = s.counters.count("batches") ? s.counters.at("batches") : 0;
      auto commits = s.counters.count("commits") ? s.counters.at("commits") : 0;
      if (batches > 0)
        spdlog::info("queue writer: {} commits in {} group commits, {:.1f} messages per sync",
                     commits, batches, static_cast<double>(commits) / static_cast<double>(batches));
    }
  }
}

void dump_stats(caf::actor_system& system, const actors::stats_actor& stats) {
  caf::scoped_actor self{system};
  self->request(stats, std::chrono::seconds(5), actors::get_stats_atom::value)
      .receive([](std::vector<actors::actor_stats>& all) { log_stats(all); },
               [](caf::error&) { spdlog::warn("stats did not answer"); });
}

void stop_actor(caf::scoped_actor& self, const caf::actor& a, std::chrono::seconds wait) {
  self->monitor(a);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->receive([](caf::down_msg&) {},
                caf::after(wait) >> [] { spdlog::warn("an actor did not stop in time"); });
}

// The backend the config names ("none": one that never says yes; AUTH is not offered then).
auth::auth_actor make_auth_backend(caf::actor_system& system, const Config& cfg) {
  auth::BackendContext ctx;
  ctx.system = &system;
  for (const auto& l : cfg.listeners)
    ctx.listener_hosts.push_back(split_host_port(l.listen).first);
  for (const auto& [name, opts] : cfg.auth.options) {
    auto known = auth::backend_names();
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
  auto options = cfg.auth.options_for(cfg.auth.backend);
  return auth::make_backend(cfg.auth.backend, ctx, options);
}

actors::SpoolSettings spool_settings_of(const Config& c) {
  actors::SpoolSettings s;
  s.max_pending = c.max_pending;
  s.max_batch = c.max_batch;
  s.node_id = static_cast<uint32_t>(getpid()) & 0xFFFF;
  s.keep_content = c.keep_content;
  s.slow_commit = c.slow_commit;
  s.max_message_rate_per_ip = c.limits.max_message_rate_per_ip;
  for (const auto& l : c.listeners)
    s.message_rate_per_listener[l.name] = l.limits.max_message_rate_per_ip;
  s.slow_latency = c.slow_latency;
  s.shed_latency = c.shed_latency;
  s.refuse_latency = c.refuse_latency;
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

int serve(const ServeOptions& options) {
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

  // Signals are taken by sigwait() below; every thread started from here inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::shared_ptr<storage::QueueStore> store;
  std::shared_ptr<storage::QueueReader> reader;
  std::shared_ptr<storage::Maildir> maildir;
  auto broker_settings = std::make_shared<actors::BrokerSettings>();
  std::map<std::string, std::shared_ptr<tls::TlsContextSource>> tls_sources;
  try {
    store = std::make_shared<storage::QueueStore>(cfg.spool_dir, cfg.durability);
    if (size_t n = store->remove_incomplete())
      spdlog::info("removed {} incomplete messages left by an earlier run", n);
    if (cfg.delivery) {
      maildir = std::make_shared<storage::Maildir>(cfg.maildir);
      reader = std::make_shared<storage::QueueReader>(cfg.spool_dir);
    }
    broker_settings->max_sessions = cfg.limits.max_sessions;
    broker_settings->shutdown_grace = cfg.shutdown_grace;
    for (const auto& l : cfg.listeners) {
      auto [host, port] = split_host_port(l.listen);
      ListenSocket sock = open_listen_socket(host, port);
      actors::ListenerSettings ls;
      ls.name = l.name;
      ls.host = host;
      ls.port = sock.port;
      ls.fd = sock.fd;
      ls.session = session_settings(cfg, l);
      ls.limits.max_sessions = l.limits.max_sessions;
      ls.limits.max_sessions_per_ip = l.limits.max_sessions_per_ip;
      ls.limits.max_connection_rate_per_ip = l.limits.max_connection_rate_per_ip;
      if (l.tls != actors::TlsMode::none) {
        auto source =
            std::make_shared<tls::TlsContextSource>(tls::TlsContext::load(tls_settings(l)));
        ls.session.tls = source;
        tls_sources[l.name] = source;
      }
      broker_settings->listeners.push_back(std::move(ls));
    }
    // Ports and files are open: root is not needed any more.
    if (auto run_as = resolve_run_as(cfg.user, cfg.group)) {
      std::vector<std::string> owned = {cfg.spool_dir};
      for (const char* f : {"/queue.db", "/queue.db-wal", "/queue.db-shm"})
        owned.push_back(cfg.spool_dir + f);
      if (maildir)
        for (const auto& d : maildir->directories())
          owned.push_back(d);
      drop_privileges(*run_as, owned);
      spdlog::info("running as user {} (uid {}, gid {})", run_as->user, run_as->uid, run_as->gid);
    }
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }
  if (cfg.durability == storage::Durability::none)
    spdlog::warn("durability = none: acknowledged mail can be lost on power failure or OS crash");

  caf::actor_system_config sys_cfg;
  sys_cfg.load<caf::io::middleman>();
  size_t threads = cfg.threads ? cfg.threads : std::max(1u, std::thread::hardware_concurrency());
  sys_cfg.set("scheduler.max-threads", threads);
  // A scribe reads up to this many times per readiness event before the broker's halt() takes
  // effect (CAF's default of 50 let one halted connection pull in 3 MiB): one read per event
  // keeps a connection without credit at two chunks.
  sys_cfg.set("middleman.max-consecutive-reads", size_t{1});
  sys_cfg.add_message_type<storage::MessageMeta>("mailactor::MessageMeta");
  sys_cfg.add_message_type<actors::spool_reply>("mailactor::spool_reply");
  sys_cfg.add_message_type<actors::spool_ticket>("mailactor::spool_ticket");
  sys_cfg.add_message_type<actors::actor_stats>("mailactor::actor_stats");
  sys_cfg.add_message_type<actors::histogram_stats>("mailactor::histogram_stats");
  sys_cfg.add_message_type<actors::session_view>("mailactor::session_view");
  sys_cfg.add_message_type<actors::auth_request>("mailactor::auth_request");
  sys_cfg.add_message_type<actors::auth_result>("mailactor::auth_result");
  caf::actor_system system{sys_cfg};

  auth::register_builtin_backends();
  actors::auth_front_actor auth_front;
  try {
    auth_front = auth::spawn_auth_front(system, make_auth_backend(system, cfg), cfg.auth.backend,
                                        cfg.auth.timeout);
  } catch (const std::exception& e) {
    spdlog::error("cannot start: {}", e.what());
    return 1;
  }

  actors::SpoolSettings spool_settings = spool_settings_of(cfg);
  if (cfg.slow_commit.count() > 0)
    spdlog::warn("slow_commit_ms = {}: every group commit waits on purpose (testing only)",
                 cfg.slow_commit.count());
  auto stats = actors::spawn_stats(system);
  auto writer = actors::spawn_queue_writer(system, store, spool_settings);
  actors::deliverer_actor deliverer;
  if (cfg.delivery) {
    actors::DeliverySettings ds;
    ds.cpu_share = cfg.delivery_cpu_share;
    deliverer = actors::spawn_deliverer(system, reader, maildir, writer, ds);
    caf::anon_send(deliverer, actors::scan_atom::value);
    actors::watch(stats, caf::actor_cast<caf::actor>(deliverer));
  }
  auto spooler = actors::spawn_spooler(system, writer, spool_settings);
  actors::watch(stats, caf::actor_cast<caf::actor>(spooler));
  actors::watch(stats, caf::actor_cast<caf::actor>(writer));
  std::unique_ptr<MetricsExporter> metrics;
  if (!cfg.metrics_listen.empty()) {
    try {
      metrics = std::make_unique<MetricsExporter>(system, stats, cfg.metrics_listen);
      spdlog::info("metrics on http://{}/metrics", cfg.metrics_listen);
    } catch (const std::exception& e) {
      spdlog::error("cannot start: {}", e.what());
      return 1;
    }
  }
  auto broker = actors::spawn_broker(system, broker_settings, spooler, stats, auth_front);
  caf::anon_send(spooler, actors::attach_atom::value, broker);  // pressure levels
  actors::watch(stats, caf::actor_cast<caf::actor>(auth_front));
  actors::watch(stats, broker);
  actors::watch_sessions(stats, broker);
  spdlog::info("mailactor ready: {} listener(s), spool {} ({}), delivery {}, {} threads",
               cfg.listeners.size(), cfg.spool_dir,
               cfg.durability == storage::Durability::fsync ? "fsync" : "none",
               cfg.delivery ? "to " + cfg.maildir : std::string("off"), threads);

  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: re-reading {} (auth backend, certificates)", options.config);
      try {
        Config next = load_config(options.config);
        reload_auth(system, next, auth_front);
        reload_tls(next, tls_sources);
      } catch (const std::exception& e) {
        spdlog::error("SIGHUP: keeping the auth backend and certificates: {}", e.what());
      }
    } else if (sig == SIGUSR1) {
      dump_stats(system, stats);
    } else {
      spdlog::info("{} received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
  }

  caf::scoped_actor self{system};
  self->monitor(broker);
  self->send(broker, actors::drain_atom::value);
  self->receive([](caf::down_msg&) {},
                caf::after(cfg.shutdown_grace + std::chrono::seconds(15)) >>
                    [] { spdlog::warn("connections did not close in time"); });
  if (deliverer) stop_actor(self, caf::actor_cast<caf::actor>(deliverer), std::chrono::seconds(30));
  // Commit what is still open (delivered marks), then report.
  self->send(writer, actors::flush_atom::value);
  dump_stats(system, stats);
  stop_actor(self, caf::actor_cast<caf::actor>(spooler), std::chrono::seconds(5));
  stop_actor(self, caf::actor_cast<caf::actor>(writer), std::chrono::seconds(30));
  metrics.reset();  // no scrape may ask a stopped stats actor
  stop_actor(self, caf::actor_cast<caf::actor>(stats), std::chrono::seconds(5));
  stop_actor(self, caf::actor_cast<caf::actor>(auth_front), std::chrono::seconds(5));
  spdlog::info("mailactor stopped");
  return 0;
}

}  // namespace mailactor::app
