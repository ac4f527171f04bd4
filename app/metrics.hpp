// Prometheus /metrics (prometheus-cpp's exposer): every scrape asks the stats actor, which asks
// every long-lived actor, so the figures are live. Families are named mailactor_*.
#pragma once

#include <prometheus/metric_family.h>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace prometheus {
class Collectable;
class Exposer;
}  // namespace prometheus

namespace mailactor::app {

// The mapping from actor stats to metric families (kept apart for tests).
std::vector<prometheus::MetricFamily> to_metric_families(
    const std::vector<actors::actor_stats>& stats);

class MetricsExporter {
 public:
  // Listens on host:port; throws std::runtime_error when it cannot.
  MetricsExporter(caf::actor_system& system, actors::stats_actor stats, const std::string& listen);
  ~MetricsExporter();

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Collectable> collectable_;
};

}  // namespace mailactor::app
