// The metric catalogue: keys, patterns, kinds, and one meaning per Prometheus family.
#include <gtest/gtest.h>

#include <map>

#include "actors/observe/metric_catalogue.hpp"

namespace mailactor::metrics {
namespace {

TEST(MetricCatalogue, IdsIndexTheCatalogue) {
  const auto& all = catalogue();
  for (size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(static_cast<size_t>(all[i].id), i) << all[i].family;
  EXPECT_EQ(metric(Id::writer_commits).key, "commits");
}

TEST(MetricCatalogue, ExactKeysWinOverPatterns) {
  auto m = find("sessions", "tls_handshakes");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->metric->id, Id::tls_handshakes);
  m = find("sessions", "tls_TLSv1.3");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->metric->id, Id::tls_protocol);
  EXPECT_EQ(m->label, "TLSv1.3");
}

TEST(MetricCatalogue, LabelsMayHoldTheSeparators) {
  auto m = find("remote_spool", key(Id::node_up, "127.0.0.1:7025"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->metric->id, Id::node_up);
  EXPECT_EQ(m->label, "127.0.0.1:7025");
  m = find("deliverer", "deferred_relay");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->metric->fixed_labels.at("result"), "deferred");
  EXPECT_EQ(m->label, "relay");
}

TEST(MetricCatalogue, KeysArePerActor) {
  EXPECT_EQ(find("spooler", "tickets")->metric->id, Id::spooler_tickets);
  EXPECT_EQ(find("remote_spool", "tickets")->metric->id, Id::remote_tickets);
  EXPECT_FALSE(find("spooler", "no_such_figure"));
  EXPECT_FALSE(find("no_such_actor", "tickets"));
  EXPECT_FALSE(find("broker", "listener::sessions"));  // an empty label is no label
}

TEST(MetricCatalogue, LevelsAreMergedByTheHighest) {
  EXPECT_TRUE(is_level("broker", "stress"));
  EXPECT_TRUE(is_level("queue_writer", "largest_batch"));
  EXPECT_FALSE(is_level("broker", "sessions"));  // added up over I/O threads
  EXPECT_FALSE(is_level("queue_writer", "commits"));
}

TEST(MetricCatalogue, AKeyWithoutALabelRefusesOne) {
  EXPECT_EQ(key(Id::listener_sessions, "smtp"), "listener:smtp:sessions");
  EXPECT_THROW(key(Id::writer_commits, "x"), std::logic_error);
}

TEST(MetricCatalogue, AFamilyHasOneKindOneLabelAndHelp) {
  std::map<std::string, const Metric*> first;
  for (const auto& m : catalogue()) {
    EXPECT_FALSE(m.help.empty()) << m.family;
    EXPECT_EQ(m.family.rfind("mailactor_", 0), 0u) << m.family;
    auto [it, fresh] = first.emplace(m.family, &m);
    if (fresh) continue;
    const bool histograms =
        (m.kind == Kind::bucket || m.kind == Kind::histogram) &&
        (it->second->kind == Kind::bucket || it->second->kind == Kind::histogram);
    EXPECT_TRUE(m.kind == it->second->kind || histograms) << m.family;
    EXPECT_EQ(m.label, it->second->label) << m.family;
  }
}

TEST(MetricCatalogue, FiguresSetThroughIds) {
  Figures f;
  f.set(Id::listener_accepted, "smtp", 3);
  f.add(Id::bounces);
  f.add(Id::bounces);
  EXPECT_EQ(f.values().at("listener:smtp:accepted"), 3u);
  EXPECT_EQ(f.values().at("bounces"), 2u);
}

}  // namespace
}  // namespace mailactor::metrics
