// The spooler's admission control with a real queue writer behind it: tickets while the writer
// keeps up, 451 4.3.2 once it falls behind (and the broker told), back to normal when it catches
// up; the per-address message rate.
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

spool_ticket ticket(caf::scoped_actor& self, const spooler_actor& spooler,
                    const std::string& client = "192.0.2.1") {
  spool_ticket t;
  self->request(spooler, std::chrono::seconds(5), begin_atom::value, client, std::string("mx"))
      .receive([&](const spool_ticket& r) { t = r; },
               [](caf::error& e) { FAIL() << caf::to_string(e); });
  return t;
}

uint8_t next_pressure(caf::scoped_actor& self) {
  uint8_t level = 255;
  self->receive([&](pressure_atom, uint8_t l) { level = l; },
                caf::after(std::chrono::seconds(5)) >> [] { FAIL() << "no pressure message"; });
  return level;
}

TEST_F(SpoolFixture, TicketNamesTheWriterAndAFreshId) {
  start_spool();
  caf::scoped_actor self{system};
  auto a = ticket(self, spooler);
  auto b = ticket(self, spooler);
  ASSERT_TRUE(a.accepted);
  EXPECT_EQ(a.writer, writer);
  EXPECT_NE(a.id, b.id);
}

TEST_F(SpoolFixture, ShedsWhileTheWriterIsBehindAndRecovers) {
  SpoolSettings s;
  s.max_pending = 10;
  start_spool(s);
  caf::scoped_actor self{system};
  self->send(spooler, attach_atom::value, caf::actor_cast<caf::actor>(self));
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::normal));
  caf::send_as(writer, spooler, depth_atom::value, uint64_t{11}, uint64_t{0});  // its report
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::shed));
  auto refused = ticket(self, spooler);
  EXPECT_FALSE(refused.accepted);
  EXPECT_EQ(refused.code, 451);
  EXPECT_EQ(refused.status, "4.3.2");
  EXPECT_TRUE(refused.id.empty());
  // The writer caught up: its probe answers at once with depth 0.
  caf::send_as(writer, spooler, depth_atom::value, uint64_t{0}, uint64_t{0});
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::normal));
  EXPECT_TRUE(ticket(self, spooler).accepted);
  actor_stats st;
  self->request(spooler, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](actor_stats& r) { st = r; }, [](caf::error&) { FAIL(); });
  EXPECT_EQ(st.counters["shed"], 1u);
  EXPECT_EQ(reader().list().size(), 0u) << "a refused ticket stores nothing";
}

TEST_F(SpoolFixture, TransactionsGoRoundTheWritersOfSeveralQueueFiles) {
  start_spool({}, 3);
  caf::scoped_actor self{system};
  std::vector<queue_writer_actor> given;
  for (int i = 0; i < 6; ++i)
    given.push_back(ticket(self, spooler).writer);
  EXPECT_EQ(given, (std::vector<queue_writer_actor>{writers[0], writers[1], writers[2], writers[0],
                                                    writers[1], writers[2]}));
}

TEST_F(SpoolFixture, PressureFollowsTheWorstWriter) {
  SpoolSettings s;
  s.max_pending = 10;
  start_spool(s, 2);
  caf::scoped_actor self{system};
  self->send(spooler, attach_atom::value, caf::actor_cast<caf::actor>(self));
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::normal));
  caf::send_as(writers[1], spooler, depth_atom::value, uint64_t{11}, uint64_t{0});
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::shed));
  // The other writer keeping up does not lift it; this one catching up does.
  caf::send_as(writers[0], spooler, depth_atom::value, uint64_t{0}, uint64_t{0});
  EXPECT_FALSE(ticket(self, spooler).accepted);
  caf::send_as(writers[1], spooler, depth_atom::value, uint64_t{0}, uint64_t{0});
  EXPECT_EQ(next_pressure(self), static_cast<uint8_t>(pressure::normal));
  EXPECT_TRUE(ticket(self, spooler).accepted);
}

TEST_F(SpoolFixture, AReportFromAnActorThatIsNoWriterIsIgnored) {
  SpoolSettings s;
  s.max_pending = 10;
  start_spool(s);
  caf::scoped_actor self{system};
  self->send(spooler, depth_atom::value, uint64_t{11}, uint64_t{0});
  EXPECT_TRUE(ticket(self, spooler).accepted);
}

TEST_F(SpoolFixture, MessageRatePerAddress) {
  SpoolSettings s;
  s.max_message_rate_per_ip = 2;
  start_spool(s);
  caf::scoped_actor self{system};
  EXPECT_TRUE(ticket(self, spooler, "192.0.2.9").accepted);
  EXPECT_TRUE(ticket(self, spooler, "192.0.2.9").accepted);
  auto third = ticket(self, spooler, "192.0.2.9");
  EXPECT_FALSE(third.accepted);
  EXPECT_EQ(third.code, 450);
  EXPECT_EQ(third.status, "4.7.1");
  EXPECT_TRUE(ticket(self, spooler, "192.0.2.10").accepted) << "another address is not limited";
}

}  // namespace
}  // namespace mailactor::actors
