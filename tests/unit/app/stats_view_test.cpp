// The stats view's arithmetic and the Prometheus families built from actor stats.
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <limits>

#include "app/metrics.hpp"
#include "app/stats_cli.hpp"

namespace mailactor::app {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(HistogramQuantile, InterpolatesInsideTheBucket) {
  // 10 samples <= 1 ms, 10 more <= 2 ms: the median is the 1 ms bound, p75 halfway to 2 ms.
  std::vector<std::pair<double, double>> b = {{0.001, 10}, {0.002, 20}, {kInf, 20}};
  EXPECT_DOUBLE_EQ(histogram_quantile(b, 0.5), 0.001);
  EXPECT_DOUBLE_EQ(histogram_quantile(b, 0.75), 0.0015);
  EXPECT_DOUBLE_EQ(histogram_quantile(b, 0.25), 0.0005);
}

TEST(HistogramQuantile, OverflowGivesTheLargestBound) {
  std::vector<std::pair<double, double>> b = {{0.001, 1}, {0.002, 1}, {kInf, 100}};
  EXPECT_DOUBLE_EQ(histogram_quantile(b, 0.99), 0.002);
}

TEST(HistogramQuantile, NoSamplesIsNaN) {
  EXPECT_TRUE(std::isnan(histogram_quantile({{0.001, 0}, {kInf, 0}}, 0.5)));
  EXPECT_TRUE(std::isnan(histogram_quantile({}, 0.5)));
}

std::string render(const std::vector<actors::actor_stats>& stats) {
  return prometheus::TextSerializer().Serialize(to_metric_families(stats));
}

TEST(MetricFamilies, SessionStatesSlowestAndHandlerTime) {
  actors::actor_stats s;
  s.name = "sessions";
  s.instances = 3;
  s.handled = 42;
  s.busy_us = 1500000;
  s.counters = {{"state_data", 2}, {"state_command", 1}, {"sessions_closed", 7}};
  s.slowest.push_back({"127.0.0.1:4000", "smtp", "data", 12500, 20000, 0, 0, 0, 0});
  std::string text = render({s});
  EXPECT_NE(text.find("mailactor_sessions_in_state{state=\"data\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("mailactor_sessions_active 3"), std::string::npos) << text;
  EXPECT_NE(text.find("mailactor_session_slowest_seconds{rank=\"1\",client=\"127.0.0.1:4000\","
                      "listener=\"smtp\",state=\"data\"} 12.5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mailactor_actor_messages_handled_total{actor=\"session\"} 42"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mailactor_actor_busy_seconds_total{actor=\"session\"} 1.5"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mailactor_sessions_sessions_closed_total 7"), std::string::npos) << text;
}

TEST(MetricFamilies, LatencyHistogramInSecondsWithLabels) {
  actors::actor_stats s;
  s.name = "auth_front";
  actors::LatencyHistogram h;
  h.observe_us(40);        // first bucket (<= 50 us)
  h.observe_us(3000);      // <= 5 ms
  h.observe_us(20000000);  // above every bound
  s.histograms.push_back(actors::to_stats("backend_latency", h, {{"backend", "passwd-file"}}));
  std::string text = render({s});
  EXPECT_NE(text.find("mailactor_auth_front_backend_latency_seconds_bucket{backend=\"passwd-file\","
                      "le=\"5e-05\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"0.005\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(
      text.find("mailactor_auth_front_backend_latency_seconds_count{backend=\"passwd-file\"} 3"),
      std::string::npos)
      << text;
}

TEST(MetricFamilies, ListenerCountersAreLabelled) {
  actors::actor_stats s;
  s.name = "broker";
  s.counters = {{"listener:submission:sessions", 4}, {"listener:submission:refused", 2}};
  std::string text = render({s});
  EXPECT_NE(text.find("mailactor_listener_sessions{listener=\"submission\"} 4"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mailactor_listener_refused_total{listener=\"submission\"} 2"),
            std::string::npos)
      << text;
}

TEST(PrometheusText, ParsesLabelledSamples) {
  auto m = parse_prometheus_text("# HELP x\nmailactor_up 1\nfoo{a=\"b\"} 2.5\n");
  EXPECT_EQ(m.at("mailactor_up"), 1);
  EXPECT_EQ(m.at("foo{a=\"b\"}"), 2.5);
}

}  // namespace
}  // namespace mailactor::app
