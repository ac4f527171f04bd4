#include "app/metric_docs.hpp"

#include <nlohmann/json.hpp>

#include <ostream>
#include <set>

#include "actors/observe/metric_catalogue.hpp"

namespace mailactor::app {
namespace {

using metrics::Kind;

const char* kind_name(const metrics::Metric& m) {
  switch (m.kind) {
    case Kind::counter:
      return "counter";
    case Kind::gauge:
      return "gauge";
    case Kind::level:
      return "gauge (highest)";
    case Kind::histogram:
    case Kind::bucket:
      return "histogram";
    case Kind::actor:
      break;
  }
  return metrics::is_total(m) ? "counter" : "gauge";
}

// The labels a family's samples carry.
std::string labels_of(const metrics::Metric& m) {
  std::string out = m.label;
  for (const auto& [k, v] : m.fixed_labels)
    out += (out.empty() ? "" : ",") + k;
  return out;
}

void print_json(std::ostream& out) {
  auto all = nlohmann::json::array();
  for (const auto& m : metrics::catalogue())
    all.push_back({{"actor", m.actor},
                   {"key", m.key},
                   {"family", m.family},
                   {"kind", kind_name(m)},
                   {"labels", labels_of(m)},
                   {"help", m.help}});
  out << all.dump(1) << "\n";
}

void print_markdown(std::ostream& out) {
  out << "# Metrics\n\n"
         "Every figure mailactor reports, as `/metrics` (Prometheus) names it, and the key under\n"
         "which `/stats.json` carries it in `actors[].counters` (\"{}\" is the label's value).\n"
         "Generated from `actors/observe/metric_catalogue.hpp` by `mailactor stats --catalogue`; a "
         "test\n"
         "keeps this file, the catalogue and what a running server reports the same.\n\n"
         "| family | type | labels | reported by | key | help |\n"
         "|---|---|---|---|---|---|\n";
  std::set<std::string> shown;
  for (const auto& m : metrics::catalogue()) {
    std::string actor = m.actor == "*" ? "every actor" : m.actor;
    std::string key = m.key.empty() ? "" : "`" + m.key + "`";
    bool first = shown.insert(m.family).second;
    out << "| " << (first ? "`" + m.family + "`" : "〃") << " | " << kind_name(m) << " | "
        << labels_of(m) << " | " << actor << " | " << key << " | " << (first ? m.help : "")
        << " |\n";
  }
}

}  // namespace

void print_metric_catalogue(std::ostream& out, bool json) {
  if (json)
    print_json(out);
  else
    print_markdown(out);
}

}  // namespace mailactor::app
