#include "actors/observe/metric_catalogue.hpp"

#include <algorithm>
#include <stdexcept>

namespace mailactor::metrics {
namespace {

// "route;result=delivered" -> label "route", fixed {result: delivered}; "le=4" (a bucket's
// bound) -> fixed {le: 4} only.
void split_label(const std::string& spec, Metric& m) {
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = std::min(spec.find(';', start), spec.size());
    const std::string part = spec.substr(start, end - start);
    size_t eq = part.find('=');
    if (eq == std::string::npos)
      m.label = part;
    else
      m.fixed_labels[part.substr(0, eq)] = part.substr(eq + 1);
    start = end + 1;
  }
}

std::vector<Metric> build() {
  std::vector<Metric> all;
#define MAILACTOR_METRIC_ENTRY(id_, actor_, key_, family_, kind_, unit_, label_, help_) \
  {                                                                                     \
    Metric m{Id::id_, actor_, key_, family_, Kind::kind_, Unit::unit_, "", {}, help_};  \
    split_label(label_, m);                                                             \
    all.push_back(std::move(m));                                                        \
  }
  MAILACTOR_METRICS(MAILACTOR_METRIC_ENTRY)
#undef MAILACTOR_METRIC_ENTRY
  // A family declared on several lines keeps the help of its first.
  for (auto& m : all)
    if (m.help.empty())
      for (const auto& first : all)
        if (first.family == m.family && !first.help.empty()) {
          m.help = first.help;
          break;
        }
  return all;
}

}  // namespace

const std::vector<Metric>& catalogue() {
  static const std::vector<Metric> all = build();
  return all;
}

const Metric& metric(Id id) {
  return catalogue()[static_cast<size_t>(id)];
}

const std::string& key(Id id) {
  return metric(id).key;
}

std::string key(Id id, const std::string& label) {
  std::string k = metric(id).key;
  size_t at = k.find("{}");
  if (at == std::string::npos) throw std::logic_error("metric " + k + " has no label");
  return k.replace(at, 2, label);
}

std::optional<Match> find(const std::string& actor, const std::string& key) {
  const Metric* pattern = nullptr;
  std::string label;
  for (const auto& m : catalogue()) {
    if (m.actor != actor || m.kind == Kind::actor) continue;
    if (m.key == key) return Match{&m, ""};  // an exact key wins over a pattern
    size_t at = m.key.find("{}");
    if (at == std::string::npos || pattern) continue;
    const std::string prefix = m.key.substr(0, at), suffix = m.key.substr(at + 2);
    if (key.size() > prefix.size() + suffix.size() && key.compare(0, prefix.size(), prefix) == 0 &&
        key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      pattern = &m;
      label = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
    }
  }
  if (!pattern) return std::nullopt;
  return Match{pattern, label};
}

bool is_total(const Metric& m) {
  if (m.kind == Kind::counter) return true;
  const std::string suffix = "_total";
  return m.kind == Kind::actor && m.family.size() > suffix.size() &&
         m.family.compare(m.family.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_level(const std::string& actor, const std::string& key) {
  auto m = find(actor, key);
  return m && m->metric->kind == Kind::level;
}

}  // namespace mailactor::metrics
