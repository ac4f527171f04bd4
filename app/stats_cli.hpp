// `mailactor stats`: a live view of the actors and the SMTP counters, read from /metrics.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mailactor::app {

// "name{labels}" -> value, from the Prometheus text format (comments skipped).
std::map<std::string, double> parse_prometheus_text(const std::string& text);

// The value at quantile q (0..1) of a Prometheus histogram given as (le, cumulative count)
// pairs sorted by le, interpolated inside the bucket as histogram_quantile() does. NaN
// without samples; the largest finite bound when the quantile lies in the +Inf bucket.
double histogram_quantile(const std::vector<std::pair<double, double>>& buckets, double q);

// url: http://HOST:PORT/metrics. once: print one snapshot; json: as one JSON object.
// `authorization`: the Authorization header to send ("" for none: /metrics open).
int show_stats(const std::string& url, bool once, bool json, const std::string& authorization = "");

}  // namespace mailactor::app
