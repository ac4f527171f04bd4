// The spool side of a node: queue files, queue writer, deliverer and spooler. `serve` runs it in
// the same process as the SMTP listeners; `spoold` runs it alone and publishes the spooler.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "app/config.hpp"
#include "routing/router_source.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/maildir.hpp"
#include "storage/queue_reader.hpp"
#include "storage/queue_store.hpp"

namespace mailactor::app {

// Opened before privileges are dropped (they may need root).
struct SpoolFiles {
  std::string spool_dir;
  std::vector<std::shared_ptr<storage::QueueStore>> stores;    // one per queue file
  std::vector<std::shared_ptr<storage::QueueReader>> readers;  // delivery only: one per file
  std::shared_ptr<storage::Maildir> maildir;                   // delivery only
  std::shared_ptr<storage::MailboxStore> mailboxes;            // delivery only
  bool mailbox_root_created = false;                           // [routing] local = "mailboxes"
  std::shared_ptr<routing::RouterSource> router;               // routes bounces; set by the caller
  // What the unprivileged user must own afterwards.
  std::vector<std::string> owned_paths() const;
};

// Throws std::exception with a message for the operator.
SpoolFiles open_spool_files(const Config& cfg);

struct SpoolStack {
  std::vector<actors::queue_writer_actor> writers;  // one per queue file
  std::vector<actors::deliverer_actor> deliverers;  // one per queue file; none when delivery is off
  actors::spooler_actor spooler;
};

// How many queue files `cfg` asks for (queue_files = 0: chosen from the machine's cores).
size_t wanted_queue_files(const Config& cfg);

actors::SpoolSettings spool_settings_of(const Config& cfg);

// What [relay] and [dkim] name, opened as serve opens it (the DNS server, the CA file, the DKIM
// keys), for check-config. Throws std::exception with a message for the operator.
void check_relay_setup(const Config& cfg);

// The plug-in delivery targets [routing.routes] names, each built once from its
// [delivery.<name>] options (for check-config and the start). Throws std::exception.
void check_delivery_targets(const Config& cfg);

// Spawns the actors and registers them with `stats`; they trace to `tracer` when it is set.
SpoolStack start_spool_stack(caf::actor_system& system, const Config& cfg, const SpoolFiles& files,
                             const actors::stats_actor& stats, const actors::tracer_actor& tracer);

// Deliveries finish, open delivered marks are committed, then the spooler and writer stop.
void stop_spool_stack(caf::scoped_actor& self, const SpoolStack& stack,
                      const actors::stats_actor& stats);

// Sends an exit and waits up to `wait` for the actor to be gone.
void stop_actor(caf::scoped_actor& self, const caf::actor& a, std::chrono::seconds wait);

// Asks the stats actor and logs every actor's figures (SIGUSR1, and at shutdown).
void dump_stats(caf::actor_system& system, const actors::stats_actor& stats);

}  // namespace mailactor::app
