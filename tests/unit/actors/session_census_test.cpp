#include "actors/session_census.hpp"

#include <gtest/gtest.h>

namespace mailactor::actors {
namespace {

TEST(SessionCensus, EntriesCountWhileTheyLive) {
  SessionCensus census;
  {
    CensusEntry a, b;
    a.join(&census, "greeting");
    b.join(&census, "greeting");
    a.set("command");
    b.set("data");
    auto counts = census.counts();
    EXPECT_EQ(counts[0], 0);  // greeting
    EXPECT_EQ(counts[1], 1);  // command
    EXPECT_EQ(counts[4], 1);  // data
  }
  for (auto n : census.counts())
    EXPECT_EQ(n, 0);  // both ended: gone from every state
}

}  // namespace
}  // namespace mailactor::actors
