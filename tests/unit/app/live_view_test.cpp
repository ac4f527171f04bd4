#include "app/web/live_view.hpp"

#include <gtest/gtest.h>

namespace mailactor::app::web {
namespace {

actors::actor_stats writer(uint64_t commits, uint64_t batches, std::vector<uint64_t> latency) {
  actors::actor_stats s;
  s.name = "queue_writer";
  s.counters = {{"commits", commits}, {"batches", batches}};
  s.histograms.push_back({"commit_latency", {}, std::move(latency), 0});
  s.handled = commits;
  s.busy_us = commits * 100;
  return s;
}

actors::actor_stats sessions(uint64_t live, uint64_t replies_550) {
  actors::actor_stats s;
  s.name = "sessions";
  s.instances = live;
  s.counters = {{"state_command", live}, {"state_data", 0}, {"reply_550", replies_550}};
  return s;
}

std::vector<uint64_t> buckets(std::initializer_list<std::pair<size_t, uint64_t>> set) {
  std::vector<uint64_t> counts(actors::kLatencyBoundsUs.size() + 1, 0);
  for (auto [i, n] : set)
    counts[i] = n;
  return counts;
}

TEST(LiveView, PercentileIsTheBucketBoundWhereTheShareIsReached) {
  EXPECT_EQ(percentile_ms(buckets({}), 0.5), 0);
  // 90 at <= 1 ms (index 4), 10 at <= 25 ms (index 8).
  auto counts = buckets({{4, 90}, {8, 10}});
  EXPECT_DOUBLE_EQ(percentile_ms(counts, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(percentile_ms(counts, 0.99), 25.0);
  // Above every bound: the last bound.
  EXPECT_DOUBLE_EQ(percentile_ms(buckets({{actors::kLatencyBoundsUs.size(), 1}}), 0.5), 10000.0);
}

TEST(LiveView, RatesAndPercentilesComeFromTheGrowthBetweenSamples) {
  LiveView view;
  view.add(10000, {writer(100, 10, buckets({{4, 100}})), sessions(3, 1)});
  EXPECT_TRUE(view.points().empty());  // one sample: nothing to compare yet
  // Two seconds later: 400 commits in 20 batches, 300 at <= 1 ms and 100 at <= 50 ms.
  view.add(12000, {writer(500, 30, buckets({{4, 400}, {9, 100}})), sessions(7, 5)});
  ASSERT_EQ(view.points().size(), 1u);
  const LivePoint& p = view.points().back();
  EXPECT_DOUBLE_EQ(p.accepted_per_s, 200);
  EXPECT_DOUBLE_EQ(p.batch_size, 20);
  EXPECT_DOUBLE_EQ(p.commit_p50_ms, 1.0);  // of the 400 in the interval, not of all 500
  EXPECT_DOUBLE_EQ(p.commit_p99_ms, 50.0);
  EXPECT_EQ(p.sessions, 7u);
  EXPECT_DOUBLE_EQ(p.refusals_per_s.at("550"), 2);
}

TEST(LiveView, JsonHasTheDocumentedShape) {
  LiveView view(2);
  for (int i = 0; i < 4; ++i)
    view.add(1000 * (i + 1), {writer(10 * i, i, buckets({{4, 10u * i}})), sessions(2, 0)});
  view.set_slowest(4000, {{"127.0.0.1:4000", "smtp", "data", 1500, 0, 0, 0, 0, 0}});
  auto j = view.to_json();
  EXPECT_EQ(j["version"], 1);
  EXPECT_DOUBLE_EQ(j["time"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["uptime_s"].get<double>(), 3.0);
  EXPECT_EQ(j["series"]["t"].size(), 2u);  // capacity 2: the oldest point dropped
  EXPECT_EQ(j["series"]["accepted_per_s"].back(), 10.0);
  EXPECT_EQ(j["sessions"]["live"], 2);
  EXPECT_EQ(j["sessions"]["by_state"]["command"], 2);
  EXPECT_EQ(j["sessions"]["slowest"][0]["state"], "data");
  EXPECT_EQ(j["pressure"]["name"], "normal");
  ASSERT_EQ(j["actors"].size(), 2u);
  EXPECT_EQ(j["actors"][0]["name"], "queue_writer");
  EXPECT_DOUBLE_EQ(j["actors"][0]["messages_per_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["actors"][0]["busy_percent"].get<double>(), 0.1);  // 1000 us in 1 s
}

TEST(LiveView, ATotalThatShrinksIsNoNegativeRate) {
  LiveView view;
  view.add(1000, {writer(500, 10, buckets({}))});
  view.add(2000, {writer(3, 1, buckets({}))});  // the writer restarted
  EXPECT_DOUBLE_EQ(view.points().back().accepted_per_s, 0);
}

}  // namespace
}  // namespace mailactor::app::web
