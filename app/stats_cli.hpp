// `mailactor stats`: a live view of the actors and the SMTP counters, read from /metrics.
#pragma once

#include <map>
#include <string>

namespace mailactor::app {

// "name{labels}" -> value, from the Prometheus text format (comments skipped).
std::map<std::string, double> parse_prometheus_text(const std::string& text);

// url: http://HOST:PORT/metrics. once: print one snapshot; json: as one JSON object.
int show_stats(const std::string& url, bool once, bool json);

}  // namespace mailactor::app
