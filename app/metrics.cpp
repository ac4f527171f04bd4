#include "app/metrics.hpp"

#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>

namespace mailactor::app {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Counters that are levels, not running totals.
const std::set<std::string> kGauges = {
    "sessions",       "locked_now", "writer_depth",  "backlog",
    "pressure_level", "receiving",  "largest_batch", "up",
    "nodes",          "nodes_up",   "stress",        "awaiting_proxy_header",
    "parked"};

std::string sanitize(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

class Families {
 public:
  MetricFamily& get(const std::string& name, MetricType type, const std::string& help) {
    auto it = families_.find(name);
    if (it == families_.end()) {
      it = families_.emplace(name, MetricFamily{name, help, type, {}}).first;
    }
    return it->second;
  }
  void add(const std::string& name, MetricType type, const std::string& help, double value,
           std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    get(name, type, help).metric.push_back(std::move(m));
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

// The rest of `key` after `prefix`, or nothing when it does not start with it.
std::optional<std::string> after(const std::string& key, std::string_view prefix) {
  if (key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return key.substr(prefix.size());
}

// `key` without `suffix`, or nothing when it does not end with it.
std::optional<std::string> before(const std::string& key, std::string_view suffix) {
  if (key.size() <= suffix.size() ||
      key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  return key.substr(0, key.size() - suffix.size());
}

// "<prefix><label>:<what>" -> (label, what); the label may itself contain ':' (host:port).
std::optional<std::pair<std::string, std::string>> labelled(const std::string& key,
                                                            std::string_view prefix) {
  auto rest = after(key, prefix);
  if (!rest) return std::nullopt;
  size_t colon = rest->rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(rest->substr(0, colon), rest->substr(colon + 1));
}

// Counters sessions report when they end. Every label value here comes from a bounded set (our
// own reply codes, TLS protocol names): a label per client address would let an attacker grow
// every scrape without bound.
void session_counter(Families& f, const std::string& key, uint64_t v) {
  if (key == "auth_failures") {
    f.add("mailactor_auth_failures_total", MetricType::Counter, "Failed AUTH attempts",
          static_cast<double>(v));
  } else if (auto protocol = after(key, "tls_"); protocol && protocol->rfind("TLS", 0) == 0) {
    f.add("mailactor_tls_protocol_total", MetricType::Counter, "TLS handshakes by protocol",
          static_cast<double>(v), {{"protocol", *protocol}});
  } else if (auto code = after(key, "reply_")) {
    f.add("mailactor_smtp_rejections_total", MetricType::Counter,
          "4xx/5xx replies sent, by reply code", static_cast<double>(v), {{"code", *code}});
  } else {
    f.add("mailactor_sessions_" + sanitize(key) + "_total", MetricType::Counter,
          "Session counter " + key, static_cast<double>(v));
  }
}

// The queue writer's batch-size buckets as one Prometheus histogram.
void batch_histogram(Families& f, const std::map<std::string, uint64_t>& c) {
  auto at = [&](const char* k) { return c.count(k) ? c.at(k) : 0; };
  const std::pair<const char*, double> buckets[] = {{"batch_size_1", 1},
                                                    {"batch_size_2_4", 4},
                                                    {"batch_size_5_16", 16},
                                                    {"batch_size_17_64", 64},
                                                    {"batch_size_65_256", 256}};
  ClientMetric m;
  uint64_t cumulative = 0;
  for (auto& [key, bound] : buckets) {
    cumulative += at(key);
    m.histogram.bucket.push_back({cumulative, bound});
  }
  cumulative += at("batch_size_gt_256");
  m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(at("commits"));
  f.get("mailactor_queue_writer_batch_size", MetricType::Histogram,
        "Messages made durable per group commit (one sync)")
      .metric.push_back(std::move(m));
}

// A latency histogram in seconds, Prometheus' base unit, with cumulative buckets.
void latency_histogram(Families& f, const std::string& actor, const actors::histogram_stats& h) {
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
  f.get("mailactor_" + sanitize(actor) + "_" + sanitize(h.name) + "_seconds", MetricType::Histogram,
        actor + " " + h.name)
      .metric.push_back(std::move(m));
}

// Sessions: how many are in each state now, and the ones longest in their current state.
void session_gauges(Families& f, const actors::actor_stats& s) {
  f.add("mailactor_sessions_active", MetricType::Gauge, "Live sessions",
        static_cast<double>(s.instances));
  for (const auto& [key, value] : s.counters) {
    if (auto state = after(key, "state_"))
      f.add("mailactor_sessions_in_state", MetricType::Gauge, "Live sessions by what they do now",
            static_cast<double>(value), {{"state", *state}});
  }
  int rank = 0;
  for (const auto& v : s.slowest) {
    f.add("mailactor_session_slowest_seconds", MetricType::Gauge,
          "The sessions longest in their current state (rank 1 is the longest)",
          static_cast<double>(v.in_state_ms) / 1e3,
          {{"rank", std::to_string(++rank)},
           {"client", v.client},
           {"listener", v.listener},
           {"state", v.state}});
  }
}

// The deliverer's "<result>_<route>" counters as one family labelled by both, and its view of
// the queue ("queue_<state>", the oldest pending message's age) as gauges.
bool delivery_counter(Families& f, const std::string& key, uint64_t value) {
  for (const char* result : {"delivered", "deferred", "failed", "expired"})
    if (auto route = after(key, std::string(result) + "_")) {
      f.add("mailactor_deliveries_total", MetricType::Counter,
            "Delivery results per recipient: delivered, deferred (tried again later), failed "
            "(for good), expired (past the queue lifetime)",
            static_cast<double>(value), {{"route", *route}, {"result", result}});
      return true;
    }
  if (auto state = after(key, "queue_")) {
    f.add("mailactor_queue_recipients", MetricType::Gauge,
          "Recipients of queued messages by state (pending, held, delivered, failed, ...)",
          static_cast<double>(value), {{"state", *state}});
    return true;
  }
  if (key == "oldest_pending_age_s") {
    f.add("mailactor_queue_oldest_pending_seconds", MetricType::Gauge,
          "Age of the oldest message with a recipient still to deliver (0: none)",
          static_cast<double>(value));
    return true;
  }
  return false;
}

// "listener:<name>:<what>" broker counters as one family per <what>, labelled by listener.
void listener_counter(Families& f, const std::string& name, const std::string& what,
                      uint64_t value) {
  if (what == "sessions") {
    f.add("mailactor_listener_sessions", MetricType::Gauge, "Live sessions per listener",
          static_cast<double>(value), {{"listener", name}});
  } else {
    f.add("mailactor_listener_" + sanitize(what) + "_total", MetricType::Counter,
          "Connections per listener: " + what, static_cast<double>(value), {{"listener", name}});
  }
}

// "node:<host:port>:<what>" figures of the edge's remote spool, one family per <what>, labelled
// by spool node; `up` is the link state, the rest partly the node's own figures.
void node_figure(Families& f, const std::string& node, const std::string& what, uint64_t value) {
  std::vector<ClientMetric::Label> label{{"node", node}};
  const std::string help = "Per spool node, as the edge sees it: " + what;
  if (auto figure = before(what, "_us"))
    f.add("mailactor_remote_spool_" + *figure + "_seconds", MetricType::Gauge, help,
          static_cast<double>(value) / 1e6, label);
  else if (kGauges.count(what))
    f.add("mailactor_remote_spool_" + sanitize(what), MetricType::Gauge, help,
          static_cast<double>(value), label);
  else
    f.add("mailactor_remote_spool_" + sanitize(what) + "_total", MetricType::Counter, help,
          static_cast<double>(value), label);
}

}  // namespace

std::vector<MetricFamily> to_metric_families(const std::vector<actors::actor_stats>& stats) {
  Families f;
  f.add("mailactor_up", MetricType::Gauge, "1 while mailactor answers scrapes", 1);
  for (const auto& s : stats) {
    // Sessions are many actors of one kind: their figures are sums over the live ones.
    std::string kind = s.name == "sessions" ? "session" : s.name;
    std::vector<ClientMetric::Label> actor{{"actor", kind}};
    f.add("mailactor_actor_instances", MetricType::Gauge, "Live actors of the kind",
          static_cast<double>(s.instances), actor);
    f.add("mailactor_actor_mailbox_depth", MetricType::Gauge,
          "Messages waiting in the actor's mailbox (sessions: all of them together)",
          static_cast<double>(s.mailbox), actor);
    f.add("mailactor_actor_mailbox_high_water", MetricType::Gauge,
          "Largest mailbox depth the actor has seen", static_cast<double>(s.mailbox_high_water),
          actor);
    f.add("mailactor_actor_messages_handled_total", MetricType::Counter,
          "Messages the actor's handlers processed", static_cast<double>(s.handled), actor);
    f.add("mailactor_actor_busy_seconds_total", MetricType::Counter,
          "Time spent in the actor's handlers", static_cast<double>(s.busy_us) / 1e6, actor);
    if (s.name == "sessions") session_gauges(f, s);
    for (const auto& h : s.histograms)
      latency_histogram(f, s.name, h);
    for (const auto& [key, value] : s.counters) {
      std::optional<std::pair<std::string, std::string>> split;
      if (s.name == "sessions") {
        if (!after(key, "state_")) session_counter(f, key, value);
      } else if (s.name == "broker" && (split = labelled(key, "listener:"))) {
        listener_counter(f, split->first, split->second, value);
      } else if (s.name == "deliverer" && delivery_counter(f, key, value)) {
        continue;
      } else if (s.name == "remote_spool" && (split = labelled(key, "node:"))) {
        node_figure(f, split->first, split->second, value);
      } else if (s.name == "queue_writer" && after(key, "batch_size_")) {
        continue;  // the histogram below
      } else if (s.name == "queue_writer" && key == "sync_us_total") {
        f.add("mailactor_queue_writer_sync_seconds_total", MetricType::Counter,
              "Time spent making batches durable", static_cast<double>(value) / 1e6);
      } else if (auto reading = before(key, "_us")) {
        // Microsecond readings as seconds, the Prometheus base unit.
        f.add("mailactor_" + sanitize(s.name) + "_" + *reading + "_seconds", MetricType::Gauge,
              s.name + " " + key, static_cast<double>(value) / 1e6);
      } else if (kGauges.count(key)) {
        f.add("mailactor_" + sanitize(s.name) + "_" + sanitize(key), MetricType::Gauge,
              s.name + " " + key, static_cast<double>(value));
      } else {
        f.add("mailactor_" + sanitize(s.name) + "_" + sanitize(key) + "_total", MetricType::Counter,
              s.name + " " + key, static_cast<double>(value));
      }
    }
    if (s.name == "queue_writer") batch_histogram(f, s.counters);
  }
  return f.take();
}

}  // namespace mailactor::app
