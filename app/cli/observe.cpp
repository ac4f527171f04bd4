// `mailactor stats` and `mailactor trace`: read the running server's [metrics] listener.
#include <iostream>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/config.hpp"
#include "app/http_get.hpp"
#include "app/metric_docs.hpp"
#include "app/stats_cli.hpp"
#include "app/trace_cli.hpp"

namespace mailactor::app::cli {
namespace {

struct StatsOptions {
  std::string config = kDefaultConfig;
  std::string url;
  bool once = false;
  bool json = false;
  bool catalogue = false;
};

int stats(StatsOptions o) {
  if (o.catalogue) {
    print_metric_catalogue(std::cout, o.json);
    return 0;
  }
  std::string authorization;
  if (o.url.empty()) {
    try {
      Config c = load_config(o.config);
      if (c.metrics_listen.empty()) {
        std::cerr << "mailactor stats: [metrics] listen is not set in " << o.config << "\n";
        return 2;
      }
      o.url = "http://" + c.metrics_listen + "/metrics";
      if (c.metrics_access.protect_metrics) authorization = authorization_of(c.metrics_access);
    } catch (const std::exception& e) {
      return fail("", e, 2);
    }
  }
  return show_stats(o.url, o.once, o.json, authorization);
}

struct TraceOptions {
  std::string config = kDefaultConfig;
  TraceQuery query;
};

int trace(TraceOptions o) {
  auto& q = o.query;
  if (!q.id.empty() && !q.search.empty()) {
    std::cerr << "mailactor trace: give a queue id or --search, not both\n";
    return 2;
  }
  try {
    Config c = load_config(o.config);
    q.authorization = authorization_of(c.metrics_access);
    if (q.base_url.empty()) {
      if (c.metrics_listen.empty()) {
        std::cerr << "mailactor trace: [metrics] listen is not set in " << o.config << "\n";
        return 2;
      }
      q.base_url = "http://" + c.metrics_listen;
    }
  } catch (const std::exception& e) {
    // With --url the config is needed only for the secret, and may be absent.
    if (q.base_url.empty()) return fail("", e, 2);
  }
  return show_trace(q);
}

}  // namespace

Command add_stats(CLI::App& app) {
  auto o = std::make_shared<StatsOptions>();
  auto* cmd = app.add_subcommand(
      "stats", "Live view of the actors (mailboxes) and SMTP counters, from the /metrics endpoint");
  cmd->add_option("--config,-c", o->config, "Configuration file (for [metrics] listen)")
      ->capture_default_str();
  cmd->add_option("--url", o->url, "http://HOST:PORT/metrics (overrides the config)");
  cmd->add_flag("--once", o->once, "Print one snapshot and exit");
  cmd->add_flag("--json", o->json, "With --once or --catalogue: as JSON");
  cmd->add_flag("--catalogue", o->catalogue,
                "Print every metric mailactor reports (docs/metrics.md) and exit");
  return {cmd, [o] { return stats(*o); }};
}

Command add_trace(CLI::App& app) {
  auto o = std::make_shared<TraceOptions>();
  auto* cmd = app.add_subcommand(
      "trace",
      "A message's path through the server: connection, MAIL and RCPT decisions, content, the\n"
      "group commit, every delivery attempt (recent messages from memory, older ones from the\n"
      "queue); with --search, the recent messages from or to an address or client. Read from\n"
      "the [metrics] listener (/trace.json). Exits 1 when the message is not found.");
  cmd->add_option("id", o->query.id, "Queue id (as in \"250 2.0.0 Ok: queued as ID\")");
  cmd->add_option("--search,-s", o->query.search,
                  "Recent messages whose sender, recipient, client or id contains this");
  cmd->add_option("--config,-c", o->config, "Configuration file (for [metrics] listen)")
      ->capture_default_str();
  cmd->add_option("--url", o->query.base_url, "http://HOST:PORT (overrides the config)");
  cmd->add_flag("--json", o->query.json, "Print /trace.json's answer");
  return {cmd, [o] { return trace(*o); }};
}

}  // namespace mailactor::app::cli
