// AUTH guessing across connections (issue 30): a budget per address and per network, memory
// bounded whatever the number of addresses, trusted networks exempt.
#include "actors/auth/auth_budget.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace mailactor::auth {
namespace {

using std::chrono::seconds;
const AuthBudget::Clock::time_point t0{};

AuthBudgetSettings settings(size_t per_address, size_t per_network) {
  AuthBudgetSettings s;
  s.per_address = per_address;
  s.per_network = per_network;
  s.window = seconds(60);
  s.lockout = seconds(300);
  return s;
}

TEST(AuthBudget, NetworkOf) {
  EXPECT_EQ(network_of("192.0.2.77"), "192.0.2.0/24");
  EXPECT_EQ(network_of("::ffff:192.0.2.77"), "192.0.2.0/24");
  EXPECT_EQ(network_of("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(network_of("not an address"), "");
}

TEST(AuthBudget, AnAddressIsLockedOutAtItsBudgetUntilTheLockoutEnds) {
  AuthBudget b(settings(3, 100));
  b.failed("192.0.2.1", t0);
  b.failed("192.0.2.1", t0 + seconds(1));
  EXPECT_EQ(b.locked("192.0.2.1", t0 + seconds(2)), "");
  b.failed("192.0.2.1", t0 + seconds(2));
  EXPECT_EQ(b.locked("192.0.2.1", t0 + seconds(3)), "192.0.2.1");
  EXPECT_EQ(b.locked("192.0.2.2", t0 + seconds(3)), "");  // its neighbour is not
  EXPECT_EQ(b.locked_count(t0 + seconds(3)), 1u);
  EXPECT_EQ(b.locked("192.0.2.1", t0 + seconds(303)), "");
}

TEST(AuthBudget, FailuresOutsideTheWindowDoNotAddUp) {
  AuthBudget b(settings(3, 100));
  for (int i = 0; i < 10; ++i)
    b.failed("192.0.2.1", t0 + seconds(61 * i));
  EXPECT_EQ(b.locked("192.0.2.1", t0 + seconds(610)), "");
}

TEST(AuthBudget, ManyAddressesOfOneNetworkLockTheNetwork) {
  AuthBudget b(settings(3, 5));
  for (int i = 1; i <= 5; ++i)
    b.failed("192.0.2." + std::to_string(i), t0);
  EXPECT_EQ(b.locked("192.0.2.200", t0), "192.0.2.0/24");
  EXPECT_EQ(b.locked("192.0.3.1", t0), "");
  for (int i = 1; i <= 5; ++i)
    b.failed("2001:db8:0:1::" + std::to_string(i), t0);
  EXPECT_EQ(b.locked("2001:db8:0:1:ffff::1", t0), "2001:db8:0:1::/64");
}

TEST(AuthBudget, TrustedNetworksAreNeverCounted) {
  auto s = settings(1, 1);
  std::string error;
  s.exempt = std::make_shared<routing::Networks>(*routing::Networks::parse({"10.0.0.0/8"}, &error));
  AuthBudget b(s);
  b.failed("10.1.2.3", t0);
  EXPECT_EQ(b.locked("10.1.2.3", t0), "");
  EXPECT_EQ(b.tracked(), 0u);
}

TEST(AuthBudget, MemoryIsBoundedWhateverTheNumberOfAddresses) {
  auto s = settings(3, 3);
  s.max_tracked = 100;
  AuthBudget b(s);
  b.failed("192.0.2.1", t0);
  b.failed("192.0.2.1", t0);
  for (int i = 0; i < 100000; ++i) {
    char address[64];
    std::snprintf(address, sizeof address, "2001:db8:%x::1", i % 60000);
    b.failed(address, t0);
    // The attacker that keeps failing stays known while the others come and go.
    if (i % 20 == 0) b.failed("192.0.2.1", t0);
  }
  EXPECT_LE(b.tracked(), 100u);
  EXPECT_EQ(b.locked("192.0.2.1", t0), "192.0.2.1");
}

TEST(AuthBudget, ZeroTurnsALevelOff) {
  AuthBudget b(settings(0, 0));
  for (int i = 0; i < 100; ++i)
    b.failed("192.0.2.1", t0);
  EXPECT_EQ(b.locked("192.0.2.1", t0), "");
}

}  // namespace
}  // namespace mailactor::auth
