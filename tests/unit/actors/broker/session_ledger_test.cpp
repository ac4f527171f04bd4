#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "actors/broker/session_ledger.hpp"

namespace mailactor::actors {
namespace {

using Refusal = SessionLedger::Refusal;

ListenerLimits limits(size_t max_sessions, size_t per_ip, size_t rate = 0) {
  return ListenerLimits{max_sessions, per_ip, rate};
}

TEST(SessionLedger, SlotsServerWideAndPerListener) {
  SessionLedger ledger(3, {limits(2, 10), limits(0, 10)});
  EXPECT_TRUE(ledger.hold(0));
  EXPECT_TRUE(ledger.hold(0));
  EXPECT_TRUE(ledger.full(0)) << "the listener's own max_sessions";
  EXPECT_FALSE(ledger.hold(0));
  EXPECT_FALSE(ledger.full());
  EXPECT_TRUE(ledger.hold(1));  // e.g. awaiting a PROXY header
  EXPECT_TRUE(ledger.full()) << "server-wide";
  EXPECT_FALSE(ledger.hold(1)) << "no limit of its own, but the server's";
  EXPECT_EQ(ledger.in_use(), 3u);
  ledger.unhold(1);
  EXPECT_EQ(ledger.admit(0, "a"), Refusal::none);
  ledger.give_back(0, "a");
  EXPECT_FALSE(ledger.full());
  EXPECT_FALSE(ledger.full(0));
  EXPECT_EQ(ledger.in_use(0), 1u);
}

TEST(SessionLedger, PerAddressLimitPerListener) {
  SessionLedger ledger(100, {limits(0, 1), limits(0, 1)});
  auto take = [&](size_t listener, const char* address) {
    EXPECT_TRUE(ledger.hold(listener));
    return ledger.admit(listener, address);
  };
  EXPECT_EQ(take(0, "10.0.0.1"), Refusal::none);
  EXPECT_EQ(take(0, "10.0.0.1"), Refusal::per_ip);
  EXPECT_EQ(ledger.in_use(), 1u) << "a refusal gives its slot up";
  EXPECT_EQ(take(0, "10.0.0.2"), Refusal::none);
  EXPECT_EQ(take(1, "10.0.0.1"), Refusal::none) << "counted per listener";
  ledger.give_back(0, "10.0.0.1");
  EXPECT_EQ(take(0, "10.0.0.1"), Refusal::none);
  EXPECT_EQ(ledger.in_use(), 3u);
}

TEST(SessionLedger, ConnectionRatePerAddress) {
  SessionLedger ledger(100, {limits(0, 50, 2)});
  auto take = [&](const char* address) {
    EXPECT_TRUE(ledger.hold(0));
    return ledger.admit(0, address);
  };
  EXPECT_EQ(take("a"), Refusal::none);
  EXPECT_EQ(take("a"), Refusal::none);
  EXPECT_EQ(take("a"), Refusal::rate);
  EXPECT_EQ(take("b"), Refusal::none);
  EXPECT_EQ(ledger.in_use(), 3u);
}

TEST(SessionLedger, ExactUnderConcurrentBrokers) {
  // Four threads (the brokers of four I/O threads) take and give back slots for one address:
  // never more than max_sessions or the per-address limit at once, everything back in the end.
  SessionLedger ledger(2, {limits(0, 3), limits(0, 1)});
  std::atomic<int> held{0};
  std::atomic<int> most{0};
  std::vector<std::thread> brokers;
  for (int t = 0; t < 4; ++t)
    brokers.emplace_back([&, t] {
      const size_t listener = t % 2;
      for (int i = 0; i < 20000; ++i) {
        if (!ledger.hold(listener)) continue;
        if (ledger.admit(listener, "a") != Refusal::none) continue;
        int now = ++held;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --held;
        ledger.give_back(listener, "a");
      }
    });
  for (auto& b : brokers)
    b.join();
  EXPECT_LE(most.load(), 2);
  EXPECT_EQ(ledger.in_use(), 0u);
  EXPECT_EQ(ledger.in_use(0), 0u);
}

}  // namespace
}  // namespace mailactor::actors
