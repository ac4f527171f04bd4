// When a recipient whose delivery failed temporarily is tried again, and when it expires.
// Local targets double the delay from `first` up to `max`; remote destinations wait as long as
// the message is old, within [first, max] (Postfix's clamp(age, 300 s, 4000 s): 5, 5, 10, 20,
// 40, then ~67 min). Past `lifetime` after arrival the recipient expires (RFC 5321 §4.5.4.1:
// give up after at least 4-5 days; every parameter configurable). Plain C++.
#pragma once

#include <chrono>
#include <cstdint>

namespace mailactor::routing {

struct RetrySchedule {
  std::chrono::seconds first{30};
  std::chrono::seconds max{15 * 60};
  std::chrono::seconds lifetime{5 * 24 * 3600};
  bool by_age = false;  // the delay is the message's age (remote), not doubling (local)
};
// The remote default.
inline RetrySchedule remote_retry_schedule() {
  return {std::chrono::seconds(300), std::chrono::seconds(4000),
          std::chrono::seconds(5 * 24 * 3600), true};
}

struct RetryDecision {
  bool expired = false;
  int64_t next_attempt_at = 0;  // unix seconds, unless expired
};

// After the `attempts`-th attempt (1: the first) failed temporarily at `now`. The last attempt
// is made at the end of the lifetime, not skipped.
RetryDecision after_temporary_failure(const RetrySchedule& s, int64_t attempts, int64_t received_at,
                                      int64_t now);

}  // namespace mailactor::routing
