// Events per key (a client address) per minute, as token buckets: each key refills at `per_minute`
// tokens a minute up to `per_minute`. Keys idle long enough to be full again are forgotten, so
// memory follows the active clients. Plain C++, used inside one actor (not thread-safe).
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

namespace mailactor::actors {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(size_t per_minute) : per_minute_(per_minute) {}

  // True (and one token taken) when `key` may go on; always true when the limit is 0.
  bool allow(const std::string& key, Clock::time_point now = Clock::now());
  size_t tracked() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  void prune(Clock::time_point now);

  size_t per_minute_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_prune_{};
};

}  // namespace mailactor::actors
