#include "app/metrics.hpp"

#include <spdlog/spdlog.h>

#include <limits>
#include <map>

#include "actors/observe/metric_catalogue.hpp"

namespace mailactor::app {
namespace {

using metrics::Id;
using metrics::Kind;
using metrics::Metric;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

MetricType type_of(const Metric& m) {
  switch (m.kind) {
    case Kind::counter:
      return MetricType::Counter;
    case Kind::histogram:
    case Kind::bucket:
      return MetricType::Histogram;
    default:
      return metrics::is_total(m) ? MetricType::Counter : MetricType::Gauge;
  }
}

double scaled(const Metric& m, double value) {
  return m.unit == metrics::Unit::micros ? value / 1e6 : value;
}

class Families {
 public:
  MetricFamily& get(const Metric& m) {
    auto it = families_.find(m.family);
    if (it == families_.end())
      it = families_.emplace(m.family, MetricFamily{m.family, m.help, type_of(m), {}}).first;
    return it->second;
  }
  // One sample of `m`: the label the key carried (if any), the fixed ones, then `extra`.
  void add(const Metric& m, double value, const std::string& label = "", Labels extra = {}) {
    ClientMetric c;
    c.label = std::move(extra);
    if (m.kind != Kind::actor && !m.label.empty())  // actor figures bring their own labels
      c.label.insert(c.label.begin(), {m.label, label});
    for (const auto& [k, v] : m.fixed_labels)
      c.label.push_back({k, v});
    if (type_of(m) == MetricType::Counter)
      c.counter.value = scaled(m, value);
    else
      c.gauge.value = scaled(m, value);
    get(m).metric.push_back(std::move(c));
  }
  void add(Id id, double value, Labels labels = {}) {
    add(metrics::metric(id), value, "", std::move(labels));
  }
  std::vector<MetricFamily> take() {
    std::vector<MetricFamily> out;
    for (auto& [k, f] : families_)
      out.push_back(std::move(f));
    return out;
  }

 private:
  std::map<std::string, MetricFamily> families_;
};

// The histogram made of counters (the queue writer's batch sizes): cumulative buckets in the
// catalogue's order; its sum is the writer's commits.
void bucket_histogram(Families& f, const actors::actor_stats& s) {
  ClientMetric m;
  const Metric* family = nullptr;
  uint64_t cumulative = 0;
  for (const auto& metric : metrics::catalogue()) {
    if (metric.kind != Kind::bucket || metric.actor != s.name) continue;
    family = family ? family : &metric;
    auto it = s.counters.find(metric.key);
    cumulative += it == s.counters.end() ? 0 : it->second;
    const std::string& le = metric.fixed_labels.at("le");
    m.histogram.bucket.push_back(
        {cumulative, le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le)});
  }
  if (!family) return;
  m.histogram.sample_count = cumulative;
  auto commits = s.counters.find(metrics::key(Id::writer_commits));
  m.histogram.sample_sum = commits == s.counters.end() ? 0 : static_cast<double>(commits->second);
  f.get(*family).metric.push_back(std::move(m));
}

// A latency histogram in seconds, Prometheus' base unit, with cumulative buckets.
void latency_histogram(Families& f, const Metric& family, const actors::histogram_stats& h) {
  ClientMetric m;
  for (const auto& [k, v] : h.labels)
    m.label.push_back({k, v});
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    double bound = i < actors::kLatencyBoundsUs.size()
                       ? static_cast<double>(actors::kLatencyBoundsUs[i]) / 1e6
                       : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(h.sum_us) / 1e6;
  f.get(family).metric.push_back(std::move(m));
}

// What every actor reports about itself (mailbox, handler time), labelled by its kind.
void actor_figures(Families& f, const actors::actor_stats& s) {
  // Sessions are many actors of one kind: their figures are sums over the live ones.
  Labels actor{{"actor", s.name == "sessions" ? "session" : s.name}};
  f.add(Id::actor_instances, static_cast<double>(s.instances), actor);
  f.add(Id::actor_mailbox_depth, static_cast<double>(s.mailbox), actor);
  f.add(Id::actor_mailbox_high_water, static_cast<double>(s.mailbox_high_water), actor);
  f.add(Id::actor_handled, static_cast<double>(s.handled), actor);
  f.add(Id::actor_busy, static_cast<double>(s.busy_us), actor);
}

// The live sessions, and the ones longest in their current state.
void session_figures(Families& f, const actors::actor_stats& s) {
  f.add(Id::sessions_active, static_cast<double>(s.instances));
  int rank = 0;
  for (const auto& v : s.slowest)
    f.add(Id::session_slowest, static_cast<double>(v.in_state_ms) / 1e3,
          {{"rank", std::to_string(++rank)},
           {"client", v.client},
           {"listener", v.listener},
           {"state", v.state}});
}

// A key no catalogue line declares is a bug (the catalogue test fails on it); it is left out of
// the scrape rather than guessed at.
void uncatalogued(const std::string& actor, const std::string& key) {
  spdlog::debug("metrics: {} reported {}, which the catalogue does not declare", actor, key);
}

// A total that has not happened yet (no bounce so far) is scraped as 0, not left out, so rate()
// and alerts on it work from the start.
void zeros_for_unseen(Families& f, const actors::actor_stats& s) {
  for (const auto& m : metrics::catalogue()) {
    const bool plain = m.kind == Kind::counter || m.kind == Kind::gauge || m.kind == Kind::level;
    if (m.actor == s.name && plain && m.label.empty() && !s.counters.count(m.key)) f.add(m, 0);
  }
}

}  // namespace

std::vector<MetricFamily> to_metric_families(const std::vector<actors::actor_stats>& stats) {
  Families f;
  f.add(Id::up, 1);
  for (const auto& s : stats) {
    actor_figures(f, s);
    if (s.name == "sessions") session_figures(f, s);
    for (const auto& h : s.histograms) {
      auto match = metrics::find(s.name, h.name);
      if (match && match->metric->kind == Kind::histogram)
        latency_histogram(f, *match->metric, h);
      else
        uncatalogued(s.name, h.name);
    }
    for (const auto& [key, value] : s.counters) {
      auto match = metrics::find(s.name, key);
      if (!match || match->metric->kind == Kind::histogram) {
        uncatalogued(s.name, key);
      } else if (match->metric->kind != Kind::bucket) {
        f.add(*match->metric, static_cast<double>(value), match->label);
      }
    }
    bucket_histogram(f, s);
    zeros_for_unseen(f, s);
  }
  return f.take();
}

}  // namespace mailactor::app
