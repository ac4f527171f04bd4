// The CLI's view of the metrics listener (`mailactor stats`, `mailactor trace`): one HTTP/1.0 GET
// over loopback or wherever [metrics] listen points, and the Authorization header the config's
// secret makes.
#pragma once

#include <string>

#include "app/web/access.hpp"

namespace mailactor::app {

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// url: http://HOST:PORT/PATH. Throws std::runtime_error when it cannot connect or the answer is
// not HTTP.
HttpAnswer http_fetch(const std::string& url, const std::string& authorization);

// Throws std::runtime_error unless the answer is a 200 (a 401 names the config's secret).
void require_ok(const std::string& url, const HttpAnswer& answer);

// The body of a 200 answer; anything else throws as require_ok does.
std::string http_get(const std::string& url, const std::string& authorization);

// "Bearer T" or "Basic base64(:P)" from the config's secret, "" without one.
std::string authorization_of(const web::WebAccess& access);

}  // namespace mailactor::app
