// Feeds the live view once a second from the stats actor, on its own thread: one (get_stats,
// summary) per second however many pages are open (they read the cached view). The slowest
// sessions need every session asked: that is done at most every 10 s (for the view, only while
// someone looked at it in the last 30 s), and /metrics scrapes share that answer.
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

  // What /metrics serves: every actor now, sessions from the census (no session asked), and the
  // slowest sessions from a collection at most 10 s old (their times moved on by its age).
  std::vector<actors::actor_stats> for_metrics();

 private:
  void run();
  void sample(bool with_sessions);
  std::vector<actors::actor_stats> summary();
  // The slowest live sessions, asking every session only when the last answer is older than
  // `max_age_ms`.
  std::vector<actors::session_view> slowest_sessions(int64_t max_age_ms);

  caf::actor_system& system_;
  actors::stats_actor stats_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  LiveView view_;
  std::atomic<int64_t> watched_ms_{0};
  std::mutex slowest_mutex_;  // held while every session is asked: one collection at a time
  std::vector<actors::session_view> slowest_;
  int64_t slowest_at_ms_ = 0;
  std::thread thread_;
};

}  // namespace mailactor::app::web
