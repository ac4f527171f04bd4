#include "trace/trace_ring.hpp"

#include <gtest/gtest.h>

namespace mailactor::trace {
namespace {

Record session_part(const std::string& id, int64_t t0) {
  return Record{id,
                "alice@example.org",
                {"bob@example.test"},
                "192.0.2.7:40000",
                {{t0, "connect", "192.0.2.7:40000 on smtp"}, {t0 + 10, "queued", "250"}},
                0};
}

TEST(TraceRing, MergesPartsOfOneMessageInTimeOrder) {
  Ring ring;
  // The deliverer's part can come before the session's.
  ring.add(Record{"ID1", "", {}, "", {{300, "delivery", "250 ok"}}, 0});
  ring.add(std::vector<std::string>{"ID1"}, Event{15, "group commit", "batch of 1"});
  ring.add(session_part("ID1", 0));
  const Record* r = ring.find("ID1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->mail_from, "alice@example.org");
  EXPECT_EQ(r->client, "192.0.2.7:40000");
  std::vector<std::string> steps;
  for (const auto& e : r->events)
    steps.push_back(e.step);
  EXPECT_EQ(steps, (std::vector<std::string>{"connect", "queued", "group commit", "delivery"}));
  EXPECT_EQ(ring.size(), 1u);
}

TEST(TraceRing, ForgetsTheOldestMessagesPastItsBound) {
  Ring ring(RingLimits{3, 64, 300});
  for (int i = 0; i < 5; ++i)
    ring.add(session_part("ID" + std::to_string(i), i * 100));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.forgotten(), 2u);
  EXPECT_EQ(ring.find("ID0"), nullptr);
  EXPECT_EQ(ring.find("ID1"), nullptr);
  EXPECT_NE(ring.find("ID4"), nullptr);
}

TEST(TraceRing, BoundsEventsPerMessageAndDetailLength) {
  Ring ring(RingLimits{10, 4, 8});
  Record part{"ID", "", {}, "", {}, 0};
  for (int i = 0; i < 10; ++i)
    part.events.push_back({i, "piece", "a long detail that gets cut"});
  ring.add(std::move(part));
  const Record* r = ring.find("ID");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->events.size(), 4u);
  EXPECT_EQ(r->events_dropped, 6u);
  EXPECT_EQ(r->events[0].detail, "a long d");
}

TEST(TraceRing, SearchesSenderRecipientClientAndIdNewestFirst) {
  Ring ring;
  ring.add(session_part("AAA1", 0));
  Record other = session_part("BBB2", 100);
  other.mail_from = "carol@example.net";
  other.rcpt = {"Dave@Example.Test"};
  other.client = "198.51.100.1:25000";
  ring.add(other);
  ring.add(session_part("CCC3", 200));
  auto ids = [](const std::vector<const Record*>& found) {
    std::vector<std::string> out;
    for (const auto* r : found)
      out.push_back(r->id);
    return out;
  };
  EXPECT_EQ(ids(ring.search("alice@", 10)), (std::vector<std::string>{"CCC3", "AAA1"}));
  EXPECT_EQ(ids(ring.search("dave@example.test", 10)), (std::vector<std::string>{"BBB2"}));
  EXPECT_EQ(ids(ring.search("198.51.100.1", 10)), (std::vector<std::string>{"BBB2"}));
  EXPECT_EQ(ids(ring.search("aaa1", 10)), (std::vector<std::string>{"AAA1"}));
  EXPECT_EQ(ids(ring.search("", 2)), (std::vector<std::string>{"CCC3", "BBB2"}));
  EXPECT_TRUE(ring.search("nobody", 10).empty());
}

TEST(TraceRing, ZeroMessagesKeepsNothing) {
  Ring ring(RingLimits{0, 64, 300});
  ring.add(session_part("ID", 0));
  ring.add(std::vector<std::string>{"ID"}, Event{1, "group commit", ""});
  EXPECT_EQ(ring.size(), 0u);
}

}  // namespace
}  // namespace mailactor::trace
