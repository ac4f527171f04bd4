#include "app/web/stats_sampler.hpp"

#include <caf/scoped_actor.hpp>

#include <chrono>

namespace mailactor::app::web {
namespace {

constexpr auto kInterval = std::chrono::seconds(1);
constexpr int kSessionsEvery = 10;      // samples between full collections
constexpr int64_t kWatchedFor = 30000;  // ms a request keeps the view "watched"
constexpr auto kAskTimeout = std::chrono::seconds(3);
// A full collection asks the brokers for their sessions, then each session, 2 s at most each
// (actors/observe/stats.cpp): waiting less would give up on an answer that is still coming.
constexpr auto kFullAskTimeout = std::chrono::seconds(5);
constexpr int64_t kSlowestMaxAgeMs = 10000;  // every session is asked at most this often

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatsSampler::StatsSampler(caf::actor_system& system, actors::stats_actor stats)
    : system_(system), stats_(std::move(stats)), thread_([this] { run(); }) {}

StatsSampler::~StatsSampler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string StatsSampler::json() {
  watched_ms_ = now_ms();
  std::lock_guard<std::mutex> lock(mutex_);
  return view_.to_json().dump();
}

void StatsSampler::run() {
  for (int tick = 0;; ++tick) {
    bool watched = now_ms() - watched_ms_.load() < kWatchedFor;
    sample(watched && tick % kSessionsEvery == 0);
    std::unique_lock<std::mutex> lock(mutex_);
    if (wake_.wait_for(lock, kInterval, [this] { return stopping_; })) return;
  }
}

std::vector<actors::actor_stats> StatsSampler::summary() {
  caf::scoped_actor self{system_};
  std::vector<actors::actor_stats> stats;
  self->request(stats_, kAskTimeout, actors::get_stats_atom::value, actors::summary_atom::value)
      .receive([&](std::vector<actors::actor_stats>& s) { stats = std::move(s); },
               [](caf::error&) {});
  return stats;
}

std::vector<actors::session_view> StatsSampler::slowest_sessions(int64_t max_age_ms) {
  std::lock_guard<std::mutex> lock(slowest_mutex_);
  const int64_t now = now_ms();
  if (now - slowest_at_ms_ >= max_age_ms) {
    caf::scoped_actor self{system_};
    // A collection that failed is not kept as fresh: the next request tries again.
    self->request(stats_, kFullAskTimeout, actors::get_stats_atom::value)
        .receive(
            [&](std::vector<actors::actor_stats>& all) {
              for (auto& s : all)
                if (s.name == "sessions") slowest_ = std::move(s.slowest);
              slowest_at_ms_ = now;
            },
            [](caf::error&) {});
    return slowest_;
  }
  auto aged = slowest_;
  const auto age = static_cast<uint64_t>(now - slowest_at_ms_);
  for (auto& v : aged) {
    v.in_state_ms += age;
    v.connected_ms += age;
  }
  return aged;
}

std::vector<actors::actor_stats> StatsSampler::for_metrics() {
  auto stats = summary();
  auto slowest = slowest_sessions(kSlowestMaxAgeMs);
  for (auto& s : stats)
    if (s.name == "sessions") s.slowest = std::move(slowest);
  return stats;
}

void StatsSampler::sample(bool with_sessions) {
  auto stats = summary();
  std::vector<actors::session_view> slowest;
  if (with_sessions) slowest = slowest_sessions(kSlowestMaxAgeMs);
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t t = now_ms();
  if (!stats.empty()) view_.add(t, std::move(stats));
  if (with_sessions) view_.set_slowest(t, std::move(slowest));
}

}  // namespace mailactor::app::web
