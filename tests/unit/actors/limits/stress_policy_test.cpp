// Which idle sessions the broker ends under connection exhaustion, and when stress starts/ends.
#include "actors/limits/stress_policy.hpp"

#include <gtest/gtest.h>

namespace mailactor::actors {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Stress, EnteredAtThePercentLeftBelowItWithAMargin) {
  EXPECT_FALSE(under_stress(799, 1000, 80, false));
  EXPECT_TRUE(under_stress(800, 1000, 80, false));
  EXPECT_TRUE(under_stress(701, 1000, 80, true)) << "stays until a tenth below the mark";
  EXPECT_FALSE(under_stress(700, 1000, 80, true));
  EXPECT_FALSE(under_stress(1000, 1000, 0, false)) << "0: stress off";
  EXPECT_TRUE(under_stress(4, 5, 80, false));
  EXPECT_FALSE(under_stress(3, 5, 80, true));
}

TEST(Stress, NeverASessionThatSentMailNorAFreshOne) {
  auto now = Clock::now();
  std::vector<EvictionCandidate> s = {
      {1, "192.0.2.1", now - seconds(100), true},        // in a transaction (or after one)
      {2, "192.0.2.2", now - milliseconds(100), false},  // just connected
  };
  EXPECT_TRUE(pick_evictions(s, now, seconds(1), 5).empty());
}

TEST(Stress, TheAddressHoldingMostGivesUpItsLongestIdleFirst) {
  auto now = Clock::now();
  std::vector<EvictionCandidate> s = {
      {1, "198.51.100.1", now - seconds(50), false},  // alone, idle longest of all
      {2, "203.0.113.9", now - seconds(10), false},  {3, "203.0.113.9", now - seconds(30), false},
      {4, "203.0.113.9", now - seconds(20), false},  {5, "192.0.2.7", now - seconds(40), false},
      {6, "192.0.2.7", now - seconds(5), false},
  };
  EXPECT_EQ(pick_evictions(s, now, seconds(1), 1), std::vector<uint64_t>{3});
  // Then the two addresses with two left, longest idle first, then the singles.
  EXPECT_EQ(pick_evictions(s, now, seconds(1), 6), (std::vector<uint64_t>{3, 5, 4, 1, 2, 6}));
}

}  // namespace
}  // namespace mailactor::actors
