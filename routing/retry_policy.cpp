#include "routing/retry_policy.hpp"

#include <algorithm>

namespace mailactor::routing {

RetryDecision after_temporary_failure(const RetrySchedule& s, int64_t attempts, int64_t received_at,
                                      int64_t now) {
  const int64_t deadline = received_at + s.lifetime.count();
  if (now >= deadline) return {true, 0};
  int64_t delay = s.first.count();
  if (s.by_age)
    delay = std::max<int64_t>(delay, now - received_at);
  else
    for (int64_t i = 1; i < attempts && delay < s.max.count(); ++i)
      delay *= 2;
  delay = std::clamp<int64_t>(delay, 1, std::max<int64_t>(1, s.max.count()));
  return {false, std::min(now + delay, deadline)};
}

}  // namespace mailactor::routing
