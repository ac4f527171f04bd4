// The metric catalogue (actors/observe/metric_catalogue.hpp) as people and scripts read it:
// `mailactor stats --catalogue` prints docs/metrics.md; with --json, one object per key.
#pragma once

#include <iosfwd>

namespace mailactor::app {

void print_metric_catalogue(std::ostream& out, bool json);

}  // namespace mailactor::app
