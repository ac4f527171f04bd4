#include "actors/limits/rate_limiter.hpp"

#include <algorithm>

namespace mailactor::actors {

bool RateLimiter::allow(const std::string& key, Clock::time_point now) {
  if (per_minute_ == 0) return true;
  if (now - last_prune_ > std::chrono::minutes(1)) prune(now);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{static_cast<double>(per_minute_), now});
  Bucket& b = it->second;
  if (!fresh) {
    double minutes = std::chrono::duration<double>(now - b.last).count() / 60.0;
    b.tokens = std::min<double>(per_minute_, b.tokens + minutes * static_cast<double>(per_minute_));
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void RateLimiter::prune(Clock::time_point now) {
  last_prune_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    // A bucket idle for a minute is full again: the same as no bucket at all.
    if (now - it->second.last >= std::chrono::minutes(1)) {
      it = buckets_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace mailactor::actors
