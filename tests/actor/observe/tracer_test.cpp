// The tracer with real senders: parts of one message from several actors merged in time order,
// the ring's bound, search summaries, and the queue writer telling every message of a group
// commit which batch made it durable.
#include "actors/observe/tracer.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

std::vector<trace::Record> ask(caf::scoped_actor& self, const tracer_actor& tracer,
                               const std::string& id) {
  std::vector<trace::Record> out;
  self->request(tracer, std::chrono::seconds(5), trace_atom::value, id)
      .receive([&](std::vector<trace::Record>& r) { out = std::move(r); },
               [](caf::error& e) { FAIL() << caf::to_string(e); });
  return out;
}

TEST_F(SpoolFixture, TracerMergesPartsAndForgetsTheOldest) {
  auto tracer = spawn_tracer(system, trace::RingLimits{2, 64, 300});
  keep(tracer);
  caf::scoped_actor self{system};
  self->send(tracer, trace_atom::value,
             trace::Record{"A", "", {}, "", {{20, "delivery", "250"}}, 0});
  self->send(tracer, trace_atom::value,
             trace::Record{"A", "s@x", {"r@y"}, "192.0.2.1:1", {{10, "connect", "c"}}, 0});
  self->send(tracer, trace_atom::value, std::vector<std::string>{"A"},
             trace::Event{15, "group commit", "batch of 1"});
  auto a = ask(self, tracer, "A");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].events.size(), 3u);
  EXPECT_EQ(a[0].events[0].step, "connect");
  EXPECT_EQ(a[0].events[1].step, "group commit");
  EXPECT_EQ(a[0].events[2].step, "delivery");
  EXPECT_EQ(a[0].mail_from, "s@x");
  self->send(tracer, trace_atom::value, trace::Record{"B", "s@x", {}, "192.0.2.1:2", {}, 0});
  self->send(tracer, trace_atom::value, trace::Record{"C", "t@x", {}, "192.0.2.1:3", {}, 0});
  EXPECT_TRUE(ask(self, tracer, "A").empty());
  std::vector<trace::Record> found;
  self->request(tracer, std::chrono::seconds(5), trace_search_atom::value, std::string("s@x"),
                uint32_t{10})
      .receive([&](std::vector<trace::Record>& r) { found = std::move(r); },
               [](caf::error& e) { FAIL() << caf::to_string(e); });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].id, "B");
  actor_stats s;
  self->request(tracer, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](actor_stats& r) { s = std::move(r); }, [](caf::error&) { FAIL(); });
  EXPECT_EQ(s.name, "tracer");
  EXPECT_EQ(s.counters["traced_messages"], 2u);
  EXPECT_EQ(s.counters["forgotten_messages"], 1u);
  EXPECT_EQ(s.counters["trace_parts"], 5u);
}

TEST_F(SpoolFixture, GroupCommitTracedForEachMessageOfTheBatch) {
  auto tracer = spawn_tracer(system, trace::RingLimits{});
  keep(tracer);
  SpoolSettings settings;
  settings.tracer = tracer;
  start_spool(settings);
  caf::scoped_actor self{system};
  for (const char* id : {"M1", "M2"}) {
    storage::MessageMeta m;
    m.id = id;
    m.rcpt_to = {"r@example.test"};
    self->request(writer, std::chrono::seconds(5), commit_atom::value, m,
                  std::vector<storage::RoutedRecipient>{}, std::string("content"))
        .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  }
  for (const char* id : {"M1", "M2"}) {
    auto r = ask(self, tracer, id);  // the writer's part was sent before its reply
    ASSERT_EQ(r.size(), 1u) << id;
    ASSERT_EQ(r[0].events.size(), 1u);
    EXPECT_EQ(r[0].events[0].step, "group commit");
    EXPECT_NE(r[0].events[0].detail.find("durable in a batch of 1 message(s)"), std::string::npos);
  }
}

}  // namespace
}  // namespace mailactor::actors
