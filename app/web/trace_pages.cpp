#include "app/web/trace_pages.hpp"

#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <cstring>

#include "app/web/assets.hpp"
#include "app/web/http_reply.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"
#include "trace/trace_json.hpp"

namespace mailactor::app::web {
namespace {

constexpr uint32_t kSearchLimit = 100;
constexpr auto kAskTimeout = std::chrono::seconds(3);

// The query parameter `name` ("" when absent; civetweb decodes it).
std::optional<std::string> query_value(mg_connection* conn, const char* name) {
  const mg_request_info* info = mg_get_request_info(conn);
  if (!info->query_string) return std::nullopt;
  char buf[512];
  int n = mg_get_var(info->query_string, std::strlen(info->query_string), name, buf, sizeof buf);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

// Queue ids are hex (storage/queue_id.hpp); anything else cannot name a message.
bool plausible_id(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::optional<trace::QueuedView> from_queue(const std::string& spool_dir, const std::string& id) {
  if (spool_dir.empty()) return std::nullopt;
  try {
    const auto readers = storage::open_queue_readers(spool_dir);
    auto found = storage::find_message(readers, id);
    if (!found.reader) return std::nullopt;
    return trace::QueuedView{std::move(*found.entry), found.reader->recipients(id)};
  } catch (const std::exception&) {
    return std::nullopt;  // no queue (yet) or unreadable: only the recent trace
  }
}

}  // namespace

TraceJsonHandler::TraceJsonHandler(caf::actor_system& system, actors::tracer_actor tracer,
                                   std::string spool_dir, const WebAccess& access)
    : system_(system),
      tracer_(std::move(tracer)),
      spool_dir_(std::move(spool_dir)),
      access_(access) {}

bool TraceJsonHandler::handleGet(CivetServer*, mg_connection* conn) {
  if (refuse_unless_authorized(conn, access_)) return true;
  auto id = query_value(conn, "id");
  auto text = query_value(conn, "q");
  if (!id && !text) {
    reply(conn, 400, "text/plain; charset=utf-8", "400: ask /trace.json?id=QUEUE-ID or ?q=TEXT\n");
    return true;
  }
  if (id && !plausible_id(*id)) {
    reply(conn, 404, "application/json", "{\"error\": \"not a queue id\"}\n");
    return true;
  }
  std::vector<trace::Record> recent;
  bool asked = false;
  if (tracer_) {
    caf::scoped_actor self{system_};
    auto handle = [&](std::vector<trace::Record>& r) {
      recent = std::move(r);
      asked = true;
    };
    if (id)
      self->request(tracer_, kAskTimeout, actors::trace_atom::value, *id)
          .receive(handle, [](caf::error&) {});
    else
      self->request(tracer_, kAskTimeout, actors::trace_search_atom::value, *text, kSearchLimit)
          .receive(handle, [](caf::error&) {});
  }
  if (!id) {
    if (tracer_ && !asked)
      reply(conn, 503, "text/plain; charset=utf-8", "503: the tracer did not answer\n");
    else
      reply(conn, 200, "application/json", trace::search_json(recent));
    return true;
  }
  auto queued = from_queue(spool_dir_, *id);
  if (recent.empty() && !queued) {
    reply(conn, 404, "application/json",
          "{\"error\": \"no such message in the recent traces or the queue\"}\n");
    return true;
  }
  reply(conn, 200, "application/json",
        trace::trace_json(*id, recent.empty() ? nullptr : &recent.front(), queued));
  return true;
}

bool TracePageHandler::handleGet(CivetServer*, mg_connection* conn) {
  if (refuse_unless_authorized(conn, access_)) return true;
  const Asset* page = find_asset("/trace");
  reply(conn, 200, page->content_type, page->bytes);
  return true;
}

}  // namespace mailactor::app::web
