// The live view's data: the actors' stats sampled once a second, the rates and percentiles derived
// from consecutive samples, and the last minutes of them as series; served as /stats.json and
// drawn by the page. Plain C++ (no CAF calls, no I/O): the sampler feeds it, tests feed it too.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace mailactor::app::web {

// What changed between two samples, per second.
struct LivePoint {
  int64_t unix_ms = 0;
  double accepted_per_s = 0;   // messages made durable (queue writer commits)
  double delivered_per_s = 0;  // recipients' deliveries done
  double commit_p50_ms = 0;    // commit latency of the commits in the interval
  double commit_p99_ms = 0;
  double batch_size = 0;                         // messages per group commit in the interval
  uint64_t sessions = 0;                         // live, at the sample
  std::map<std::string, double> refusals_per_s;  // by reply code ("421", "550", ...)
};

class LiveView {
 public:
  explicit LiveView(size_t capacity = 600) : capacity_(capacity) {}

  // A new sample of every actor's stats ((get_stats, summary): no slowest list).
  void add(int64_t unix_ms, std::vector<actors::actor_stats> stats);
  // The slowest sessions from a full collection (taken less often: it asks every session).
  void set_slowest(int64_t unix_ms, std::vector<actors::session_view> slowest);

  // The /stats.json document (docs/stats-json.md): now, per actor, and the series.
  nlohmann::json to_json() const;
  const std::deque<LivePoint>& points() const { return points_; }

 private:
  size_t capacity_;
  int64_t started_ms_ = 0;
  int64_t previous_ms_ = 0;
  int64_t latest_ms_ = 0;
  std::vector<actors::actor_stats> previous_;
  std::vector<actors::actor_stats> latest_;
  std::deque<LivePoint> points_;
  int64_t slowest_ms_ = 0;
  std::vector<actors::session_view> slowest_;
};

// The latency (ms) under which `q` (0..1) of the observations in `counts` fall, from the fixed
// bucket bounds (actor_meter.hpp): a bucket's upper bound; 0 when there are none.
double percentile_ms(const std::vector<uint64_t>& counts, double q);

}  // namespace mailactor::app::web
