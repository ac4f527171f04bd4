#include "app/spool_stack.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "actors/delivery/deliverer.hpp"
#include "actors/delivery/delivery_targets.hpp"
#include "actors/delivery/plugin_targets.hpp"
#include "actors/observe/stats.hpp"
#include "actors/outbound/dkim_signer.hpp"
#include "actors/outbound/relay_target.hpp"
#include "actors/spool/queue_writer.hpp"
#include "actors/spool/spooler.hpp"
#include "storage/queue_files.hpp"

#include <algorithm>
#include <set>
#include <thread>

namespace mailactor::app {

std::vector<std::string> SpoolFiles::owned_paths() const {
  std::vector<std::string> owned = {spool_dir};
  for (size_t i = 0; i < stores.size(); ++i)
    for (const char* suffix : {"", "-wal", "-shm"})
      owned.push_back(storage::queue_file_path(spool_dir, i) + suffix);
  if (maildir)
    for (const auto& d : maildir->directories())
      owned.push_back(d);
  if (mailboxes && mailbox_root_created) owned.push_back(mailboxes->root());
  return owned;
}

size_t wanted_queue_files(const Config& cfg) {
  if (cfg.queue_files > 0) return cfg.queue_files;
  return quarter_of_cores();
}

SpoolFiles open_spool_files(const Config& cfg) {
  SpoolFiles f;
  f.spool_dir = cfg.spool_dir;
  const size_t wanted = wanted_queue_files(cfg);
  const size_t count = storage::queue_file_count(cfg.spool_dir, wanted);
  if (count > wanted)
    spdlog::warn("{} queue files in {} (queue_files asks for {}): all of them stay in use", count,
                 cfg.spool_dir, wanted);
  size_t incomplete = 0;
  for (size_t i = 0; i < count; ++i) {
    f.stores.push_back(std::make_shared<storage::QueueStore>(cfg.spool_dir, cfg.durability, i));
    incomplete += f.stores.back()->remove_incomplete();
  }
  if (incomplete > 0)
    spdlog::info("removed {} incomplete messages left by an earlier run", incomplete);
  if (cfg.durability == storage::Durability::none)
    spdlog::warn("durability = none: acknowledged mail can be lost on power failure or OS crash");
  if (cfg.delivery) {
    f.maildir = std::make_shared<storage::Maildir>(cfg.maildir);
    // The root is made now (and given to the server's user) when users' mailboxes are in use.
    f.mailbox_root_created = cfg.routing.local == routing::LocalMode::mailboxes;
    f.mailboxes =
        std::make_shared<storage::MailboxStore>(cfg.routing.mailbox_root, f.mailbox_root_created);
    for (size_t i = 0; i < count; ++i)
      f.readers.push_back(std::make_shared<storage::QueueReader>(cfg.spool_dir, i));
  }
  return f;
}

actors::SpoolSettings spool_settings_of(const Config& c) {
  actors::SpoolSettings s;
  s.max_pending = c.max_pending;
  s.max_batch = c.max_batch;
  s.node_id = c.node_id ? c.node_id : static_cast<uint32_t>(getpid()) & 0xFFFF;
  s.keep_content = c.keep_content;
  s.slow_commit = c.slow_commit;
  s.max_message_rate_per_ip = c.limits.max_message_rate_per_ip;
  for (const auto& l : c.listeners)
    s.message_rate_per_listener[l.name] = l.limits.max_message_rate_per_ip;
  s.slow_latency = c.slow_latency;
  s.shed_latency = c.shed_latency;
  s.refuse_latency = c.refuse_latency;
  s.abandon_after = c.abandon_after;
  return s;
}

namespace {

actors::outbound::RelayTargetSettings relay_target_settings(
    const Config& cfg, std::shared_ptr<const routing::RelaySettings> policy) {
  using namespace actors::outbound;
  RelayTargetSettings r;
  r.policy = std::move(policy);
  r.dns = std::make_shared<DnsResolver>(cfg.relay.dns_server);
  r.tls = std::make_shared<ClientTls>(cfg.relay.tls_ca_file);
  if (!cfg.relay.dkim_key_dir.empty()) {
    auto keys = load_dkim_keys(cfg.relay.dkim_key_dir);
    for (const auto& k : keys)
      spdlog::info("DKIM: signing mail from {} with selector {}", k.domain, k.selector);
    r.dkim = std::make_shared<DkimSigner>(std::move(keys), cfg.relay.dkim_headers);
  }
  r.hostname = cfg.hostname;
  r.connect_timeout = cfg.relay.connect_timeout;
  r.timeout = cfg.relay.timeout;
  r.idle_close = cfg.relay.connection_idle;
  return r;
}

}  // namespace

void check_relay_setup(const Config& cfg) {
  relay_target_settings(cfg, std::make_shared<routing::RelaySettings>(cfg.relay.policy));
}

namespace {

std::set<std::string> plugin_routes(const Config& cfg) {
  std::set<std::string> names;
  for (const auto& [where, route] : cfg.routing.routes)
    if (!route.builtin()) names.insert(route.name());
  return names;
}

}  // namespace

void check_delivery_targets(const Config& cfg) {
  for (const auto& name : plugin_routes(cfg))
    actors::check_plugin_target(name, cfg.delivery_targets.for_name(name));
}

namespace {

// What every deliverer shares: the targets (each reads all the queue files) and the settings.
struct DeliverySetup {
  actors::DeliverySettings settings;
  actors::DeliveryTargets targets;
};

DeliverySetup delivery_setup(caf::actor_system& system, const Config& cfg, const SpoolFiles& files,
                             const actors::tracer_actor& tracer) {
  const storage::QueueFiles queue(files.spool_dir, files.stores.size());
  const size_t deliverers = files.stores.size();
  DeliverySetup d;
  auto& ds = d.settings;
  // The deliverers divide what the shared targets can take (each keeps at least a little);
  // cpu_percent is each one's own (100 stays "no limit").
  ds.cpu_share = cfg.delivery_cpu_share;
  ds.retry = cfg.retry;
  ds.max_in_flight = std::max<size_t>(2, cfg.delivery_workers * 2 / deliverers);
  ds.router = files.router;
  ds.hostname = cfg.hostname;
  ds.tracer = tracer;
  auto pool = [&d](routing::Route r) -> auto& {
    return d.targets[routing::to_string(r)];
  };
  pool(routing::Route::ingest())
      .push_back(actors::spawn_ingest_target(system, queue, files.maildir));
  for (size_t i = 0; i < cfg.delivery_workers; ++i) {
    pool(routing::Route::maildir())
        .push_back(actors::spawn_mailbox_target(system, queue, files.mailboxes));
    if (!cfg.routing.lmtp.empty())
      pool(routing::Route::lmtp())
          .push_back(actors::spawn_lmtp_target(
              system, queue, actors::LmtpSettings{cfg.routing.lmtp, cfg.hostname}));
  }
  if (cfg.relay.policy.enabled) {
    ds.relay = std::make_shared<routing::RelaySettings>(cfg.relay.policy);
    ds.relay_retry = cfg.relay.retry;
    ds.relay_per_destination =
        std::max<size_t>(1, cfg.relay.connections_per_destination / deliverers);
    auto relay = relay_target_settings(cfg, ds.relay);
    for (size_t i = 0; i < cfg.relay.connections; ++i)
      pool(routing::Route::relay())
          .push_back(actors::outbound::spawn_relay_target(system, queue, relay));
  }
  for (const auto& name : plugin_routes(cfg))
    d.targets[name] =
        actors::spawn_plugin_targets(system, queue, name, cfg.delivery_targets.for_name(name));
  return d;
}

}  // namespace

SpoolStack start_spool_stack(caf::actor_system& system, const Config& cfg, const SpoolFiles& files,
                             const actors::stats_actor& stats, const actors::tracer_actor& tracer) {
  actors::SpoolSettings spool_settings = spool_settings_of(cfg);
  spool_settings.tracer = tracer;
  if (cfg.slow_commit.count() > 0)
    spdlog::warn("slow_commit_ms = {}: every group commit waits on purpose (testing only)",
                 cfg.slow_commit.count());
  SpoolStack s;
  for (const auto& store : files.stores) {
    s.writers.push_back(actors::spawn_queue_writer(system, store, spool_settings));
    actors::watch(stats, caf::actor_cast<caf::actor>(s.writers.back()));
  }
  if (cfg.delivery) {
    auto d = delivery_setup(system, cfg, files, tracer);
    for (size_t i = 0; i < s.writers.size(); ++i) {
      d.settings.queue_file = static_cast<uint32_t>(i);
      s.deliverers.push_back(
          actors::spawn_deliverer(system, files.readers[i], d.targets, s.writers[i], d.settings));
      caf::anon_send(s.deliverers.back(), actors::scan_atom::value);
      actors::watch(stats, caf::actor_cast<caf::actor>(s.deliverers.back()));
    }
  }
  s.spooler = actors::spawn_spooler(system, s.writers, spool_settings);
  actors::watch(stats, caf::actor_cast<caf::actor>(s.spooler));
  return s;
}

void stop_spool_stack(caf::scoped_actor& self, const SpoolStack& s,
                      const actors::stats_actor& stats) {
  for (const auto& d : s.deliverers)
    stop_actor(self, caf::actor_cast<caf::actor>(d), std::chrono::seconds(30));
  // Commit what is still open (delivered marks), then report.
  for (const auto& w : s.writers)
    self->send(w, actors::flush_atom::value);
  dump_stats(self->system(), stats);
  stop_actor(self, caf::actor_cast<caf::actor>(s.spooler), std::chrono::seconds(5));
  for (const auto& w : s.writers)
    stop_actor(self, caf::actor_cast<caf::actor>(w), std::chrono::seconds(30));
}

void stop_actor(caf::scoped_actor& self, const caf::actor& a, std::chrono::seconds wait) {
  self->monitor(a);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  // Only `a`'s own down message ends the wait: `self` may hold another actor's.
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (bool down = false; !down;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      spdlog::warn("an actor did not stop in time");
      return;
    }
    self->receive([&](caf::down_msg& dm) { down = dm.source == a.address(); },
                  caf::after(std::chrono::duration_cast<std::chrono::milliseconds>(left)) >> [] {});
  }
}

namespace {

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

}  // namespace

void dump_stats(caf::actor_system& system, const actors::stats_actor& stats) {
  caf::scoped_actor self{system};
  self->request(stats, std::chrono::seconds(5), actors::get_stats_atom::value)
      .receive([](std::vector<actors::actor_stats>& all) { log_stats(all); },
               [](caf::error&) { spdlog::warn("stats did not answer"); });
}

}  // namespace mailactor::app
