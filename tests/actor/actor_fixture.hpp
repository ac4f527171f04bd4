// A small real actor system for actor tests, with a temporary spool: the stateful actors are
// tested as they run in the server (real queue writer over SQLite, real spooler), only without
// sockets unless a test makes its own.
#pragma once

#include <gtest/gtest.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <memory>
#include <string>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"
#include "actors/spool/queue_writer.hpp"
#include "actors/spool/spooler.hpp"
#include "storage/queue_reader.hpp"
#include "storage/queue_store.hpp"
#include "storage/unix_time.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::actors::testing {

inline caf::actor_system_config& actor_test_config() {
  static caf::actor_system_config cfg;
  static bool once = [] {
    add_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    // The broker runs on the middleman, configured as the server configures it.
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.max-consecutive-reads", size_t{1});
    return true;
  }();
  (void)once;
  return cfg;
}

// The envelope of a message from `from` to `rcpt`, received now, as a session commits it.
inline storage::MessageMeta message_meta(const std::string& id, const std::string& from,
                                         const std::string& rcpt) {
  storage::MessageMeta m;
  m.id = id;
  m.mail_from = from;
  m.rcpt_to = {rcpt};
  m.received_at = storage::unix_now();
  return m;
}

struct SpoolFixture : ::testing::Test {
  SpoolFixture() : system(actor_test_config()) {}
  ~SpoolFixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  // A queue writer over each of `files` fresh queue files in the temporary directory, and a
  // spooler in front of them; `store` and `writer` are the first file's.
  void start_spool(SpoolSettings settings = {}, size_t files = 1) {
    for (size_t i = 0; i < files; ++i) {
      auto s = std::make_shared<storage::QueueStore>(dir.path(), storage::Durability::none, i);
      writers.push_back(spawn_queue_writer(system, s, settings));
      keep(writers.back());
      if (i == 0) store = s;
    }
    writer = writers.front();
    spooler = spawn_spooler(system, writers, settings);
    keep(spooler);
  }
  template <class Handle>
  void keep(const Handle& h) {
    spawned.push_back(caf::actor_cast<caf::actor>(h));
  }
  storage::QueueReader reader() const { return storage::QueueReader(dir.path()); }

  mailactor::testing::TempDir dir;
  caf::actor_system system;
  std::shared_ptr<storage::QueueStore> store;
  queue_writer_actor writer;
  std::vector<queue_writer_actor> writers;
  spooler_actor spooler;
  std::vector<caf::actor> spawned;
};

}  // namespace mailactor::actors::testing
