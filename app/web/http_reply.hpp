// Answers on the metrics listener: one place for the headers every answer carries and for the
// 401 that guards the pages.
#pragma once

#include <string_view>

#include "app/web/access.hpp"

struct mg_connection;

namespace mailactor::app::web {

void reply(mg_connection* conn, int status, std::string_view type, std::string_view body);

// Answers 401 and returns true unless the request carries the secret `access` asks for.
bool refuse_unless_authorized(mg_connection* conn, const WebAccess& access);
// 403 (and true) when the request's Host is not one the listener answers to (host_allowed).
bool refuse_unless_allowed_host(mg_connection* conn, const WebAccess& access);

}  // namespace mailactor::app::web
