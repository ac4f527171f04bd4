// Prometheus /metrics families (mailactor_*) from the actors' stats; served by app/web/web_server
// (every scrape asks the stats actor, which asks every actor, so the figures are live).
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "actors/messages.hpp"

namespace mailactor::app {

// The mapping from actor stats to metric families (kept apart for tests).
std::vector<prometheus::MetricFamily> to_metric_families(
    const std::vector<actors::actor_stats>& stats);

}  // namespace mailactor::app
