#include "app/web/http_reply.hpp"

#include <CivetServer.h>

namespace mailactor::app::web {

namespace {
const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 503:
      return "Service Unavailable";
    default:
      return "Not Found";
  }
}
}  // namespace

void reply(mg_connection* conn, int status, std::string_view type, std::string_view body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
            status, reason_of(status), static_cast<int>(type.size()), type.data(), body.size(),
            status == 401 ? "WWW-Authenticate: Basic realm=\"mailactor\"\r\n" : "");
  mg_write(conn, body.data(), body.size());
}

bool refuse_unless_allowed_host(mg_connection* conn, const WebAccess& access) {
  if (host_allowed(access, mg_get_header(conn, "Host"))) return false;
  reply(conn, 403, "text/plain; charset=utf-8",
        "403 Forbidden: this Host is not one of the listener's names ([metrics] host_names)\n");
  return true;
}

bool refuse_unless_authorized(mg_connection* conn, const WebAccess& access) {
  if (refuse_unless_allowed_host(conn, access)) return true;
  if (authorized(access, mg_get_header(conn, "Authorization"))) return false;
  reply(conn, 401, "text/plain; charset=utf-8", "401 Unauthorized: a bearer token or password\n");
  return true;
}

}  // namespace mailactor::app::web
