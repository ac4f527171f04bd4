#include "app/stats_cli.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "actors/observe/metric_catalogue.hpp"
#include "app/config.hpp"
#include "app/http_get.hpp"

namespace mailactor::app {
namespace {

using metrics::Id;

// Names of the families shown, from the catalogue.
const std::string& family(Id id) {
  return metrics::metric(id).family;
}

std::string label_value(const std::string& key, const std::string& label) {
  size_t p = key.find(label + "=\"");
  if (p == std::string::npos) return {};
  p += label.size() + 2;
  return key.substr(p, key.find('"', p) - p);
}

struct View {
  std::map<std::string, double> now, before;
  double seconds = 0;
  double get(const std::string& k) const {
    auto it = now.find(k);
    return it == now.end() ? 0 : it->second;
  }
  double rate(const std::string& k) const {
    auto a = now.find(k), b = before.find(k);
    if (a == now.end() || b == before.end() || seconds <= 0) return 0;
    return (a->second - b->second) / seconds;
  }
};

// Histogram series: "family{labels but le}" -> (le, cumulative count) sorted by le.
using Series = std::map<std::string, std::vector<std::pair<double, double>>>;

Series histogram_series(const std::map<std::string, double>& m) {
  Series out;
  for (const auto& [k, value] : m) {
    size_t brace = k.find('{');
    if (brace == std::string::npos || k.compare(brace - 7, 7, "_bucket") != 0) continue;
    std::string le = label_value(k, "le");
    std::string labels = k.substr(brace + 1, k.size() - brace - 2);
    std::string rest;
    std::istringstream parts(labels);
    for (std::string part; std::getline(parts, part, ',');)
      if (part.rfind("le=", 0) != 0) rest += (rest.empty() ? "" : ",") + part;
    std::string family = k.substr(0, brace - 7);
    double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
    out[family + (rest.empty() ? "" : "{" + rest + "}")].push_back({bound, value});
  }
  for (auto& [name, b] : out)
    std::sort(b.begin(), b.end());
  return out;
}

// Samples of the last interval when there were any, else everything since the start.
std::vector<std::pair<double, double>> interval(const std::vector<std::pair<double, double>>& now,
                                                const Series& before, const std::string& name) {
  auto it = before.find(name);
  if (it == before.end() || it->second.size() != now.size()) return now;
  auto d = now;
  for (size_t i = 0; i < d.size(); ++i)
    d[i].second -= it->second[i].second;
  return d.empty() || d.back().second <= 0 ? now : d;
}

void print_actors(const View& v) {
  std::printf("%-14s %6s %8s %10s %11s %7s\n", "actor", "count", "mailbox", "high-water",
              "messages/s", "busy");
  for (const auto& [k, value] : v.now) {
    if (k.rfind(family(Id::actor_mailbox_depth) + "{", 0) != 0) continue;
    std::string actor = label_value(k, "actor");
    auto of = [&](const std::string& name) { return name + "{actor=\"" + actor + "\"}"; };
    std::printf("%-14s %6.0f %8.0f %10.0f %11.1f %6.1f%%\n", actor.c_str(),
                v.get(of(family(Id::actor_instances))), value,
                v.get(of(family(Id::actor_mailbox_high_water))),
                v.rate(of(family(Id::actor_handled))), v.rate(of(family(Id::actor_busy))) * 100);
  }
}

void print_sessions(const View& v) {
  std::printf("\nSessions by state:");
  for (const char* state : {"greeting", "command", "auth", "tls", "data"})
    std::printf("  %s %.0f", state,
                v.get((family(Id::sessions_in_state) + "{state=\"") + state + "\"}"));
  std::printf("\n");
  for (const auto& [k, value] : v.now) {
    if (k.rfind(family(Id::session_slowest) + "{", 0) != 0) continue;
    std::printf("  %-2s %-24s %-12s %-9s %8.1f s\n", label_value(k, "rank").c_str(),
                label_value(k, "client").c_str(), label_value(k, "listener").c_str(),
                label_value(k, "state").c_str(), value);
  }
}

void print_latency(const View& v) {
  Series now = histogram_series(v.now), before = histogram_series(v.before);
  std::printf("\n%-58s %9s %9s\n", "latency", "p50 ms", "p99 ms");
  for (const auto& [name, buckets] : now) {
    if (name.find("_seconds") == std::string::npos) continue;
    auto b = interval(buckets, before, name);
    double p50 = histogram_quantile(b, 0.5), p99 = histogram_quantile(b, 0.99);
    if (std::isnan(p50)) {
      std::printf("%-58s %9s %9s\n", name.substr(10).c_str(), "-", "-");
    } else {
      std::printf("%-58s %9.2f %9.2f\n", name.substr(10).c_str(), p50 * 1000, p99 * 1000);
    }
  }
}

// An edge: the spool nodes it streams to, as it sees them.
void print_spool_nodes(const View& v) {
  bool header = false;
  for (const auto& [k, up] : v.now) {
    if (k.rfind(family(Id::node_up) + "{", 0) != 0) continue;
    if (!header) {
      std::printf("\nSpool nodes%-16s %6s %10s %12s %9s %11s\n", "", "link", "tickets/s",
                  "writer depth", "pressure", "link losses");
      header = true;
    }
    std::string node = label_value(k, "node");
    auto of = [&](const std::string& name) { return name + "{node=\"" + node + "\"}"; };
    std::printf("  %-25s %6s %10.1f %12.0f %9.0f %11.0f\n", node.c_str(), up > 0 ? "up" : "DOWN",
                v.rate(of(family(Id::node_tickets))), v.get(of(family(Id::node_writer_depth))),
                v.get(of(family(Id::node_pressure))), v.get(of(family(Id::node_link_losses))));
  }
  if (header)
    std::printf("  %-25s %12.0f\n", "MAIL with no node (451)",
                v.get(family(Id::remote_unavailable)));
}

void print_view(const View& v, const std::string& url) {
  std::time_t t = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%H:%M:%S", std::localtime(&t));
  std::printf("mailactor stats  %s  %s\n\n", url.c_str(), when);
  print_actors(v);
  print_sessions(v);
  print_latency(v);
  auto line = [&](const char* label, const std::string& metric) {
    std::printf("  %-22s %12.0f  %9.1f/s\n", label, v.get(metric), v.rate(metric));
  };
  std::printf("\nSMTP\n");
  line("connections", family(Id::broker_accepted));
  std::printf("  %-22s %12.0f\n", "active sessions", v.get(family(Id::broker_sessions)));
  line("messages queued", family(Id::messages_queued));
  line("delivered", family(Id::delivered));
  std::printf("  %-22s %12.0f\n", "delivery backlog", v.get(family(Id::backlog)));
  line("shed (451 4.3.2)", family(Id::spooler_shed));
  for (const auto& [k, value] : v.now)
    if (k.rfind(family(Id::rejections) + "{", 0) == 0)
      line(("rejected " + label_value(k, "code")).c_str(), k);
  print_spool_nodes(v);
  std::printf("\nQueue writer\n");
  double batches = v.get(family(Id::writer_batches));
  double commits = v.get(family(Id::writer_commits));
  double sync = v.get(family(Id::sync_time));
  std::printf("  %-22s %12.1f\n", "messages per sync", batches > 0 ? commits / batches : 0);
  std::printf("  %-22s %12.2f ms\n", "mean sync", batches > 0 ? sync * 1000 / batches : 0);
  std::printf("  %-22s %12.0f\n", "largest batch", v.get(family(Id::largest_batch)));
  std::printf("\nAuth and TLS\n");
  line("auth ok", family(Id::auth_ok));
  line("auth invalid", family(Id::auth_invalid));
  line("auth temporary", family(Id::auth_temporary));
  line("tls handshakes", family(Id::tls_handshakes));
  line("tls failures", family(Id::tls_handshake_failures));
}

}  // namespace

double histogram_quantile(const std::vector<std::pair<double, double>>& buckets, double q) {
  if (buckets.empty() || buckets.back().second <= 0) return std::nan("");
  double rank = q * buckets.back().second;
  double lower = 0, below = 0;
  for (const auto& [le, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(le)) return lower;
      if (count == below) return le;
      return lower + (le - lower) * (rank - below) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

std::map<std::string, double> parse_prometheus_text(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    try {
      out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    } catch (const std::exception&) {
      // NaN and friends: not a number we show
    }
  }
  return out;
}

int show_stats(const std::string& url, bool once, bool json, const std::string& authorization) {
  try {
    View v;
    v.now = parse_prometheus_text(http_get(url, authorization));
    if (once) {
      if (json) {
        std::cout << nlohmann::json(v.now).dump(2) << "\n";
      } else {
        print_view(v, url);
      }
      return 0;
    }
    auto last = std::chrono::steady_clock::now();
    while (true) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      v.before = std::move(v.now);
      v.now = parse_prometheus_text(http_get(url, authorization));
      auto t = std::chrono::steady_clock::now();
      v.seconds = std::chrono::duration<double>(t - last).count();
      last = t;
      std::printf("\033[H\033[2J");
      print_view(v, url);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::cerr << "mailactor stats: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace mailactor::app
