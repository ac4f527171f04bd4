#include "app/web/web_server.hpp"

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <stdexcept>

#include "app/metrics.hpp"
#include "app/web/assets.hpp"
#include "app/web/http_reply.hpp"
#include "app/web/stats_sampler.hpp"
#include "app/web/trace_pages.hpp"

namespace mailactor::app::web {
namespace {

// Prometheus' view: the same sample the live page uses, so a scrape asks no session (the slowest
// sessions come from a collection at most 10 s old).
class MetricsHandler : public CivetHandler {
 public:
  MetricsHandler(StatsSampler& sampler, const WebAccess& access)
      : sampler_(sampler), access_(access) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (access_.protect_metrics ? refuse_unless_authorized(conn, access_)
                                : refuse_unless_allowed_host(conn, access_))
      return true;
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, to_metric_families(sampler_.for_metrics()));
    reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text.str());
    return true;
  }

 private:
  StatsSampler& sampler_;
  const WebAccess& access_;
};

class StatsJsonHandler : public CivetHandler {
 public:
  StatsJsonHandler(StatsSampler& sampler, const WebAccess& access)
      : sampler_(sampler), access_(access) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (refuse_unless_authorized(conn, access_)) return true;
    reply(conn, 200, "application/json", sampler_.json());
    return true;
  }

 private:
  StatsSampler& sampler_;
  const WebAccess& access_;
};

// The page and its assets; anything else is 404.
class PageHandler : public CivetHandler {
 public:
  explicit PageHandler(const WebAccess& access) : access_(access) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    if (refuse_unless_authorized(conn, access_)) return true;
    const mg_request_info* info = mg_get_request_info(conn);
    const Asset* asset = find_asset(info->local_uri ? info->local_uri : "");
    if (!asset) {
      reply(conn, 404, "text/plain; charset=utf-8", "404 Not Found\n");
      return true;
    }
    reply(conn, 200, asset->content_type, asset->bytes);
    return true;
  }

 private:
  const WebAccess& access_;
};

}  // namespace

struct WebServer::Impl {
  WebSettings settings;
  StatsSampler sampler;
  MetricsHandler metrics;
  StatsJsonHandler stats_json;
  TraceJsonHandler trace_json;
  TracePageHandler trace_page;
  PageHandler page;
  std::unique_ptr<CivetServer> server;

  Impl(caf::actor_system& system, actors::stats_actor stats, WebSettings s)
      : settings(std::move(s)),
        sampler(system, stats),
        metrics(sampler, settings.access),
        stats_json(sampler, settings.access),
        trace_json(system, settings.tracer, settings.spool_dir, settings.access),
        trace_page(settings.access),
        page(settings.access) {}
};

WebServer::WebServer(caf::actor_system& system, actors::stats_actor stats, WebSettings settings)
    : impl_(std::make_unique<Impl>(system, std::move(stats), std::move(settings))) {
  const std::string listen = impl_->settings.listen;
  std::vector<std::string> options = {"listening_ports",    listen, "num_threads", "4",
                                      "request_timeout_ms", "10000"};
  try {
    impl_->server = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + ": " + e.what());
  }
  impl_->server->addHandler("/metrics", impl_->metrics);
  impl_->server->addHandler("/stats.json", impl_->stats_json);
  impl_->server->addHandler("/trace.json", impl_->trace_json);
  impl_->server->addHandler("/trace", impl_->trace_page);
  impl_->server->addHandler("/", impl_->page);
}

WebServer::~WebServer() {
  if (impl_->server) impl_->server->close();
}

}  // namespace mailactor::app::web
