// The metrics listener: Prometheus /metrics, the live page (/ and its /assets/, served from the
// binary: no request leaves the machine), /stats.json and the traces (/trace.json, /trace/ID), over
// civetweb (Debian's libcivetweb, which prometheus-cpp's exposer also uses). Read-only: only GET is
// answered.
#pragma once

#include <caf/actor_system.hpp>

#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "app/web/access.hpp"

namespace mailactor::app::web {

struct WebSettings {
  std::string listen;  // HOST:PORT
  WebAccess access;
  actors::tracer_actor tracer;  // null: no recent traces (only the queue's)
  std::string spool_dir;        // "": no queue here (an edge node)
};

class WebServer {
 public:
  // Listens at once; throws std::runtime_error when it cannot.
  WebServer(caf::actor_system& system, actors::stats_actor stats, WebSettings settings);
  ~WebServer();

  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailactor::app::web
