// Feeds the live view once a second from the stats actor, on its own thread: one (get_stats,
// summary) per second however many pages are open (they read the cached view). The slowest
// sessions need every session asked: that is done at most every 10 s, and only while someone
// looked at the view in the last 30 s.
#pragma once

#include <caf/actor_system.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "actors/messages.hpp"
#include "app/web/live_view.hpp"

namespace mailactor::app::web {

class StatsSampler {
 public:
  StatsSampler(caf::actor_system& system, actors::stats_actor stats);
  ~StatsSampler();  // stops and joins the thread

  // The /stats.json document now; marks the view as watched.
  std::string json();

 private:
  void run();
  void sample(bool with_sessions);

  caf::actor_system& system_;
  actors::stats_actor stats_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  LiveView view_;
  std::atomic<int64_t> watched_ms_{0};
  std::thread thread_;
};

}  // namespace mailactor::app::web
