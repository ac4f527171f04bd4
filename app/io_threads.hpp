// More than one I/O thread: CAF 0.17.6 has exactly one multiplexer (the thread that reads and
// writes every socket) per actor system, so each further I/O thread is an actor system of its
// own that holds only a middleman and a broker. Its scheduler lends the main system's workers, so
// the sessions its broker spawns run on the same workers as every other actor; it keeps only its
// own clock thread.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <caf/scoped_actor.hpp>

#include <chrono>
#include <memory>
#include <vector>

#include "actors/messages.hpp"
#include "actors/settings.hpp"
#include "app/config.hpp"

namespace mailactor::app {

// How many I/O threads `cfg` asks for (io_threads = 0: chosen from the machine's cores).
size_t io_thread_count(const Config& cfg);

class IoThreads {
 public:
  // `extra` actor systems beside `main`, each with its own I/O thread.
  IoThreads(caf::actor_system& main, size_t extra);
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;
  // Every actor they spawned must have ended (the brokers drained): their systems wait for them
  // on the main system's workers, which must still run.
  ~IoThreads();

  const std::vector<std::unique_ptr<caf::actor_system>>& systems() const { return systems_; }

 private:
  std::vector<std::unique_ptr<caf::actor_system_config>> configs_;
  std::vector<std::unique_ptr<caf::actor_system>> systems_;
};

// One broker per I/O thread (the main system's and each of `io`'s), all accepting on the same
// listening sockets (duplicated for each further one) and counting against one SessionLedger,
// which this puts into `settings`. Throws (before any broker exists) when a socket cannot be
// duplicated.
std::vector<caf::actor> spawn_brokers(caf::actor_system& main, const IoThreads& io,
                                      std::shared_ptr<actors::BrokerSettings> settings,
                                      actors::spooler_actor spooler, actors::stats_actor stats,
                                      actors::auth_front_actor auth);

// Graceful drain of every broker; returns once all have ended or after `limit`.
void drain_brokers(caf::scoped_actor& self, const std::vector<caf::actor>& brokers,
                   std::chrono::seconds limit);

}  // namespace mailactor::app
