// Who may read the metrics listener's pages: anyone on a loopback-only listener; elsewhere only a
// request with the bearer token (Authorization: Bearer T) or the password (HTTP basic, any user
// name) read from the configured files. Plain C++, unit-tested.
#pragma once

#include <string>

namespace mailactor::app::web {

struct WebAccess {
  std::string token;             // empty: no bearer token accepted
  std::string password;          // empty: no basic-auth password accepted
  bool required = false;         // the pages need one of the two
  bool protect_metrics = false;  // /metrics too (Prometheus can send either)
};

// Whether a request with this Authorization header (nullptr: none) may read a page.
bool authorized(const WebAccess& access, const char* authorization);

// The secret in a token or password file: its first line, without the line end; throws
// std::runtime_error naming the file when it cannot be read or the secret is empty.
std::string read_secret_file(const std::string& path);

}  // namespace mailactor::app::web
