#include <gtest/gtest.h>

#include "actors/limits/rate_limiter.hpp"

namespace mailactor::actors {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, PerMinuteWithRefill) {
  RateLimiter r(3);
  auto t = RateLimiter::Clock::now();
  EXPECT_TRUE(r.allow("a", t));
  EXPECT_TRUE(r.allow("a", t));
  EXPECT_TRUE(r.allow("a", t));
  EXPECT_FALSE(r.allow("a", t));
  EXPECT_TRUE(r.allow("b", t)) << "per key";
  EXPECT_FALSE(r.allow("a", t + 10s)) << "half a token back";
  EXPECT_TRUE(r.allow("a", t + 20s)) << "one token a third of a minute";
  EXPECT_FALSE(r.allow("a", t + 20s));
}

TEST(RateLimiter, ZeroMeansNoLimitAndIdleKeysAreForgotten) {
  RateLimiter none(0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(none.allow("a"));
  RateLimiter r(1);
  auto t = RateLimiter::Clock::now();
  for (int i = 0; i < 100; ++i)
    r.allow("k" + std::to_string(i), t);
  EXPECT_EQ(r.tracked(), 100u);
  r.allow("late", t + 2min);
  EXPECT_EQ(r.tracked(), 1u);
}

}  // namespace
}  // namespace mailactor::actors
