// Per-message traces on the metrics listener: /trace.json?id=QUEUE-ID (one message's path: the
// tracer's recent trace and what the queue keeps), /trace.json?q=TEXT (recent messages by id,
// sender, recipient or client; empty: the newest) and /trace/QUEUE-ID, the page that shows it.
// docs/trace.md has the JSON.
#pragma once

#include <CivetServer.h>
#include <caf/actor_system.hpp>

#include <string>

#include "actors/messages.hpp"
#include "app/web/access.hpp"

namespace mailactor::app::web {

class TraceJsonHandler : public CivetHandler {
 public:
  // `spool_dir`: where queue.db is ("" on an edge node: no queue here).
  TraceJsonHandler(caf::actor_system& system, actors::tracer_actor tracer, std::string spool_dir,
                   const WebAccess& access);
  bool handleGet(CivetServer*, mg_connection* conn) override;

 private:
  caf::actor_system& system_;
  actors::tracer_actor tracer_;
  std::string spool_dir_;
  const WebAccess& access_;
};

// /trace/ID: the page; it reads the id from its own address and asks /trace.json.
class TracePageHandler : public CivetHandler {
 public:
  explicit TracePageHandler(const WebAccess& access) : access_(access) {}
  bool handleGet(CivetServer*, mg_connection* conn) override;

 private:
  const WebAccess& access_;
};

}  // namespace mailactor::app::web
