#include "routing/connection_slots.hpp"

#include <gtest/gtest.h>

namespace mailactor::routing {
namespace {

TEST(ConnectionSlots, ReusesTheSlotWhoseConnectionIsOpenToTheDestination) {
  ConnectionSlots s(3, 10);
  auto a = s.take("mx:a.test");
  auto b = s.take("mx:b.test");
  ASSERT_TRUE(a && b);
  s.release(*a);
  s.release(*b);
  EXPECT_EQ(s.take("mx:b.test"), b);
  EXPECT_EQ(s.take("mx:a.test"), a);
  EXPECT_EQ(s.take("mx:c.test"), 2u);  // the unused slot before closing another's connection
  EXPECT_FALSE(s.take("mx:a.test"));   // all busy
}

TEST(ConnectionSlots, AtMostPerDestinationBusyForOneDestination) {
  ConnectionSlots s(5, 2);
  EXPECT_TRUE(s.take("d"));
  auto second = s.take("d");
  EXPECT_TRUE(second);
  EXPECT_FALSE(s.take("d"));
  EXPECT_TRUE(s.take("e"));
  s.release(*second);
  EXPECT_EQ(s.busy("d"), 1u);
  EXPECT_TRUE(s.take("d"));
  s.release(99);  // unknown slots are ignored
}

TEST(ConnectionSlots, BackOffUntilItsTime) {
  ConnectionSlots s(1, 1);
  s.back_off("d", 100, "connection refused");
  EXPECT_EQ(s.backed_off("d", 99), "connection refused");
  EXPECT_FALSE(s.backed_off("d", 100));
  EXPECT_FALSE(s.backed_off("other", 0));
}

}  // namespace
}  // namespace mailactor::routing
