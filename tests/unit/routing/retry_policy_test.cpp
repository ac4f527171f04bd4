#include "routing/retry_policy.hpp"

#include <gtest/gtest.h>

namespace {

using namespace mailactor::routing;
using std::chrono::seconds;

TEST(RetryPolicy, DoublesFromFirstToMax) {
  RetrySchedule s;  // 30 s doubling to 15 min
  const int64_t t0 = 1'800'000'000;
  const int64_t expected[] = {30, 60, 120, 240, 480, 900, 900, 900};
  for (int64_t attempt = 1; attempt <= 8; ++attempt) {
    auto d = after_temporary_failure(s, attempt, t0, t0 + 1000);
    EXPECT_FALSE(d.expired);
    EXPECT_EQ(d.next_attempt_at, t0 + 1000 + expected[attempt - 1]) << attempt;
  }
}

TEST(RetryPolicy, LastAttemptAtTheDeadlineThenExpired) {
  RetrySchedule s{seconds(10), seconds(100), seconds(300)};
  const int64_t t0 = 1000;
  EXPECT_EQ(after_temporary_failure(s, 5, t0, t0 + 250).next_attempt_at, t0 + 300);
  EXPECT_TRUE(after_temporary_failure(s, 6, t0, t0 + 300).expired);
  EXPECT_TRUE(after_temporary_failure(s, 1, t0, t0 + 5000).expired);
}

TEST(RetryPolicy, HugeAttemptCountsDoNotOverflow) {
  RetrySchedule s;
  auto d = after_temporary_failure(s, 1'000'000, 0, 10);
  EXPECT_EQ(d.next_attempt_at, 10 + 900);
}

}  // namespace

namespace mailactor::routing {
namespace {

TEST(RemoteRetry, WaitsAsLongAsTheMessageIsOldWithinTheBounds) {
  auto s = remote_retry_schedule();
  const int64_t t0 = 1'000'000;
  EXPECT_EQ(after_temporary_failure(s, 1, t0, t0 + 10).next_attempt_at, t0 + 10 + 300);
  EXPECT_EQ(after_temporary_failure(s, 3, t0, t0 + 1200).next_attempt_at, t0 + 1200 + 1200);
  EXPECT_EQ(after_temporary_failure(s, 9, t0, t0 + 86400).next_attempt_at, t0 + 86400 + 4000);
  EXPECT_TRUE(after_temporary_failure(s, 99, t0, t0 + 5 * 86400).expired);
}

}  // namespace
}  // namespace mailactor::routing
