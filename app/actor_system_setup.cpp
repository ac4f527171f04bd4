#include "app/actor_system_setup.hpp"

#include <spdlog/spdlog.h>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <thread>

#include "actors/message_types.hpp"
#include "actors/messages.hpp"

namespace mailactor::app {

void configure_middleman(caf::actor_system_config& sys_cfg) {
  sys_cfg.load<caf::io::middleman>();
  // A scribe reads up to this many times per readiness event before the broker's halt() takes
  // effect (CAF's default of 50 let one halted connection pull in 3 MiB): one read per event
  // keeps a connection without credit at two chunks.
  sys_cfg.set("middleman.max-consecutive-reads", size_t{1});
  actors::add_message_types(sys_cfg);
}

size_t configure_actor_system(caf::actor_system_config& sys_cfg, const Config& cfg) {
  configure_middleman(sys_cfg);
  if (cfg.node_tls()) {
    // Peers must present a certificate signed by this CA (CAF requires it as soon as a CA is
    // set); without [node] the openssl module is not loaded and nothing is published.
    sys_cfg.load<caf::openssl::manager>();
    sys_cfg.openssl_cafile = cfg.node_ca;
    sys_cfg.openssl_certificate = cfg.node_cert;
    sys_cfg.openssl_key = cfg.node_key;
  }
  // Default: one scheduler thread per core but one, which the middleman's I/O thread (every
  // socket read and write) keeps busy under load. Measured on 2 cores, W2: 1 scheduler thread
  // 4952-5309 msgs/s at 205-219 us CPU per message, 2 threads 4333-4910 at 236-274 us.
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  size_t threads = cfg.threads ? cfg.threads : std::max<size_t>(1, cores - 1);
  sys_cfg.set("scheduler.max-threads", threads);
  // CAF's idle workers poll for 25 ms in 50 us sleeps before they block: every message of a
  // lone session then waits for a sleep to end, at each of its hops. Blocking right away and
  // being woken per job measured W1 (one session) 1.65-1.85x faster at 25% less CPU per
  // message, W2 (50 sessions) within its noise (0.89-1.02x).
  if (cfg.worker_wait == WorkerWait::block)
    sys_cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  return threads;
}

void end_actor_system(std::unique_ptr<caf::actor_system> system, int rc,
                      std::chrono::seconds limit) {
  std::promise<void> ended;
  // The system must end on the thread that made it (its logger waits for that thread's
  // reference): a watchdog bounds it instead.
  std::thread watchdog([done = ended.get_future(), rc, limit] {
    if (done.wait_for(limit) == std::future_status::ready) return;
    spdlog::warn(
        "the actor system did not finish shutting down within {} s (CAF 0.17.6 still holds a "
        "stopped detached actor): exiting anyway, everything is committed",
        limit.count());
    spdlog::shutdown();
    std::_Exit(rc);
  });
  system.reset();
  ended.set_value();
  watchdog.join();
}

}  // namespace mailactor::app
