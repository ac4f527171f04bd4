// The stats actor with scripted peers: actors of one name merged (amounts added, levels the
// highest, by the metric catalogue), the sessions' pushed totals, and an actor that ended is no
// longer asked.
#include "actors/observe/stats.hpp"

#include <caf/event_based_actor.hpp>

#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

// A long-lived actor that answers get_stats with these figures.
caf::actor scripted(caf::actor_system& system, actor_stats figures) {
  return system.spawn(
      [](caf::event_based_actor*, actor_stats s) -> caf::behavior {
        return {[=](get_stats_atom) { return s; }};
      },
      std::move(figures));
}

actor_stats broker(uint64_t sessions, uint64_t stress) {
  actor_stats s;
  s.name = "broker";
  s.instances = 1;
  s.counters = {{"sessions", sessions}, {"stress", stress}};
  return s;
}

std::vector<actor_stats> ask(caf::scoped_actor& self, const stats_actor& stats) {
  std::vector<actor_stats> out;
  self->request(stats, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](std::vector<actor_stats>& r) { out = std::move(r); },
               [](caf::error& e) { FAIL() << caf::to_string(e); });
  return out;
}

const actor_stats* named(const std::vector<actor_stats>& all, const std::string& name) {
  for (const auto& s : all)
    if (s.name == name) return &s;
  return nullptr;
}

TEST_F(SpoolFixture, StatsMergeActorsOfOneNameByTheCatalogue) {
  auto stats = spawn_stats(system);
  keep(stats);
  auto a = scripted(system, broker(3, 1));
  auto b = scripted(system, broker(4, 1));
  watch(stats, a);
  watch(stats, b);
  caf::scoped_actor self{system};
  auto all = ask(self, stats);
  const actor_stats* brokers = named(all, "broker");
  ASSERT_NE(brokers, nullptr);
  EXPECT_EQ(brokers->instances, 2u);
  EXPECT_EQ(brokers->counters.at("sessions"), 7u);  // a gauge: added up over I/O threads
  EXPECT_EQ(brokers->counters.at("stress"), 1u);    // a level: the highest, not 2
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->send_exit(b, caf::exit_reason::user_shutdown);
}

TEST_F(SpoolFixture, SessionTotalsArePushedAndTheirActorFiguresTakenOut) {
  auto stats = spawn_stats(system);
  keep(stats);
  caf::scoped_actor self{system};
  for (int i = 0; i < 2; ++i)
    self->send(stats, count_atom::value,
               std::map<std::string, uint64_t>{
                   {"sessions_closed", 1}, {"handled", 5}, {"busy_us", 10}, {"reply_550", 1}});
  self->send(stats, count_atom::value, std::string("auth_failures"), uint64_t{1});
  auto all = ask(self, stats);
  const actor_stats* sessions = named(all, "sessions");
  ASSERT_NE(sessions, nullptr);
  EXPECT_EQ(sessions->counters.at("sessions_closed"), 2u);
  EXPECT_EQ(sessions->counters.at("reply_550"), 2u);
  EXPECT_EQ(sessions->counters.at("auth_failures"), 1u);
  EXPECT_EQ(sessions->handled, 10u);
  EXPECT_EQ(sessions->busy_us, 20u);
  EXPECT_EQ(sessions->counters.count("handled"), 0u);
  EXPECT_EQ(sessions->counters.at("state_data"), 0u);  // every state, even when none is in it
}

TEST_F(SpoolFixture, AnActorThatEndedIsNoLongerAsked) {
  auto stats = spawn_stats(system);
  keep(stats);
  auto a = scripted(system, broker(1, 0));
  watch(stats, a);
  caf::scoped_actor self{system};
  ASSERT_NE(named(ask(self, stats), "broker"), nullptr);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  self->wait_for(a);
  // The stats actor hears of the exit (a down message) before the next request is handled.
  for (int i = 0; i < 50 && named(ask(self, stats), "broker"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(named(ask(self, stats), "broker"), nullptr);
}

}  // namespace
}  // namespace mailactor::actors
