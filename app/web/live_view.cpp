#include "app/web/live_view.hpp"

#include <algorithm>

namespace mailactor::app::web {
namespace {

const actors::actor_stats* find(const std::vector<actors::actor_stats>& all,
                                const std::string& name) {
  for (const auto& s : all)
    if (s.name == name) return &s;
  return nullptr;
}

uint64_t counter(const actors::actor_stats* s, const std::string& key) {
  if (!s) return 0;
  auto it = s->counters.find(key);
  return it == s->counters.end() ? 0 : it->second;
}

// How much a running total grew (a restarted actor's total may shrink: then no growth).
uint64_t growth(uint64_t before, uint64_t after) {
  return after > before ? after - before : 0;
}

const actors::histogram_stats* histogram(const actors::actor_stats* s, const std::string& name) {
  if (!s) return nullptr;
  for (const auto& h : s->histograms)
    if (h.name == name) return &h;
  return nullptr;
}

std::vector<uint64_t> histogram_growth(const actors::histogram_stats* before,
                                       const actors::histogram_stats* after) {
  if (!after) return {};
  std::vector<uint64_t> out = after->counts;
  if (before && before->counts.size() == out.size())
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = growth(before->counts[i], out[i]);
  return out;
}

// Refusals by code: the sessions' reply_<code> totals (4xx and 5xx) and the broker's refused
// connections (421 before any session).
std::map<std::string, uint64_t> refusals(const std::vector<actors::actor_stats>& all) {
  std::map<std::string, uint64_t> out;
  if (const auto* s = find(all, "sessions"))
    for (const auto& [key, value] : s->counters)
      if (key.rfind("reply_", 0) == 0) out[key.substr(6)] += value;
  if (const auto* b = find(all, "broker"))
    out["421"] +=
        counter(b, "refused_per_ip") + counter(b, "refused_pressure") + counter(b, "refused_rate");
  return out;
}

LivePoint derive(int64_t t0, const std::vector<actors::actor_stats>& before, int64_t t1,
                 const std::vector<actors::actor_stats>& after) {
  LivePoint p;
  p.unix_ms = t1;
  const double seconds = std::max<int64_t>(t1 - t0, 1) / 1000.0;
  const auto* w0 = find(before, "queue_writer");
  const auto* w1 = find(after, "queue_writer");
  const uint64_t commits = growth(counter(w0, "commits"), counter(w1, "commits"));
  const uint64_t batches = growth(counter(w0, "batches"), counter(w1, "batches"));
  p.accepted_per_s = commits / seconds;
  p.batch_size = batches ? static_cast<double>(commits) / batches : 0;
  auto latency = histogram_growth(histogram(w0, "commit_latency"), histogram(w1, "commit_latency"));
  p.commit_p50_ms = percentile_ms(latency, 0.5);
  p.commit_p99_ms = percentile_ms(latency, 0.99);
  p.delivered_per_s = growth(counter(find(before, "deliverer"), "delivered"),
                             counter(find(after, "deliverer"), "delivered")) /
                      seconds;
  if (const auto* s = find(after, "sessions")) p.sessions = s->instances;
  auto r0 = refusals(before);
  for (const auto& [code, total] : refusals(after)) {
    uint64_t grew = growth(r0.count(code) ? r0[code] : 0, total);
    if (grew) p.refusals_per_s[code] = grew / seconds;
  }
  return p;
}

nlohmann::json actor_json(const actors::actor_stats& now, const actors::actor_stats* before,
                          double seconds) {
  nlohmann::json a = {{"name", now.name},        {"instances", now.instances},
                      {"mailbox", now.mailbox},  {"mailbox_high_water", now.mailbox_high_water},
                      {"handled", now.handled},  {"busy_us", now.busy_us},
                      {"counters", now.counters}};
  double handled = before ? growth(before->handled, now.handled) : 0;
  double busy = before ? growth(before->busy_us, now.busy_us) : 0;
  a["messages_per_s"] = seconds > 0 ? handled / seconds : 0;
  // Share of one thread's time in the actor's handlers (sessions: summed over all of them).
  a["busy_percent"] = seconds > 0 ? busy / (seconds * 1e4) : 0;
  return a;
}

nlohmann::json series_json(const std::deque<LivePoint>& points) {
  nlohmann::json s = {{"t", nlohmann::json::array()},
                      {"accepted_per_s", nlohmann::json::array()},
                      {"delivered_per_s", nlohmann::json::array()},
                      {"commit_p50_ms", nlohmann::json::array()},
                      {"commit_p99_ms", nlohmann::json::array()},
                      {"batch_size", nlohmann::json::array()},
                      {"sessions", nlohmann::json::array()},
                      {"refusals_per_s", nlohmann::json::object()}};
  std::vector<std::string> codes;
  for (const auto& p : points)
    for (const auto& [code, rate] : p.refusals_per_s)
      if (std::find(codes.begin(), codes.end(), code) == codes.end()) codes.push_back(code);
  for (const auto& code : codes)
    s["refusals_per_s"][code] = nlohmann::json::array();
  for (const auto& p : points) {
    s["t"].push_back(p.unix_ms / 1000.0);
    s["accepted_per_s"].push_back(p.accepted_per_s);
    s["delivered_per_s"].push_back(p.delivered_per_s);
    s["commit_p50_ms"].push_back(p.commit_p50_ms);
    s["commit_p99_ms"].push_back(p.commit_p99_ms);
    s["batch_size"].push_back(p.batch_size);
    s["sessions"].push_back(p.sessions);
    for (const auto& code : codes) {
      auto it = p.refusals_per_s.find(code);
      s["refusals_per_s"][code].push_back(it == p.refusals_per_s.end() ? 0.0 : it->second);
    }
  }
  return s;
}

nlohmann::json pressure_json(const std::vector<actors::actor_stats>& all) {
  const auto* sp = find(all, "spooler");
  auto level = static_cast<actors::pressure>(counter(sp, "pressure_level"));
  return {{"level", static_cast<int>(level)},
          {"name", actors::to_string(level)},
          {"writer_depth", counter(sp, "writer_depth")},
          {"commit_latency_ms", counter(sp, "commit_latency_us") / 1000.0}};
}

}  // namespace

double percentile_ms(const std::vector<uint64_t>& counts, double q) {
  uint64_t total = 0;
  for (auto c : counts)
    total += c;
  if (total == 0) return 0;
  const double wanted = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (static_cast<double>(seen) >= wanted) {
      size_t bound = std::min(i, actors::kLatencyBoundsUs.size() - 1);
      return actors::kLatencyBoundsUs[bound] / 1000.0;
    }
  }
  return actors::kLatencyBoundsUs.back() / 1000.0;
}

void LiveView::add(int64_t unix_ms, std::vector<actors::actor_stats> stats) {
  if (started_ms_ == 0) started_ms_ = unix_ms;
  previous_ = std::move(latest_);
  previous_ms_ = latest_ms_;
  latest_ = std::move(stats);
  latest_ms_ = unix_ms;
  if (previous_ms_ == 0) return;
  points_.push_back(derive(previous_ms_, previous_, latest_ms_, latest_));
  while (points_.size() > capacity_)
    points_.pop_front();
}

void LiveView::set_slowest(int64_t unix_ms, std::vector<actors::session_view> slowest) {
  slowest_ms_ = unix_ms;
  slowest_ = std::move(slowest);
}

nlohmann::json LiveView::to_json() const {
  const double seconds = previous_ms_ ? (latest_ms_ - previous_ms_) / 1000.0 : 0;
  nlohmann::json actors_json = nlohmann::json::array();
  for (const auto& s : latest_)
    actors_json.push_back(actor_json(s, find(previous_, s.name), seconds));
  nlohmann::json sessions = {{"live", 0}, {"by_state", nlohmann::json::object()}};
  if (const auto* s = find(latest_, "sessions")) {
    sessions["live"] = s->instances;
    for (const auto& [key, value] : s->counters)
      if (key.rfind("state_", 0) == 0) sessions["by_state"][key.substr(6)] = value;
  }
  nlohmann::json slowest = nlohmann::json::array();
  for (const auto& v : slowest_)
    slowest.push_back({{"client", v.client},
                       {"listener", v.listener},
                       {"state", v.state},
                       {"in_state_ms", v.in_state_ms}});
  sessions["slowest"] = slowest;
  sessions["slowest_at"] = slowest_ms_ / 1000.0;
  return {{"version", 1},
          {"time", latest_ms_ / 1000.0},
          {"uptime_s", latest_ms_ > started_ms_ ? (latest_ms_ - started_ms_) / 1000.0 : 0},
          {"pressure", pressure_json(latest_)},
          {"sessions", sessions},
          {"actors", actors_json},
          {"series", series_json(points_)}};
}

}  // namespace mailactor::app::web
