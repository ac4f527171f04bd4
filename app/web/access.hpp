// Who may read the metrics listener's pages: anyone on a loopback-only listener; elsewhere only a
// request with the bearer token (Authorization: Bearer T) or the password (HTTP basic, any user
// name) read from the configured files. Plain C++, unit-tested.
#pragma once

#include <string>
#include <vector>

namespace mailactor::app::web {

struct WebAccess {
  std::string token;             // empty: no bearer token accepted
  std::string password;          // empty: no basic-auth password accepted
  bool required = false;         // the pages need one of the two
  bool protect_metrics = false;  // /metrics too (Prometheus can send either)
  // Host header names the pages answer to besides IP literals and "localhost" ([metrics]
  // host_names, and the server's hostname).
  std::vector<std::string> host_names;
};

// Whether a request with this Host header (nullptr: none, HTTP/1.0) may be answered. A page of
// another site in a local browser reaches the listener only through a DNS name of its own that
// it made point here (DNS rebinding): so only IP literals, "localhost" and the configured names
// are answered, on every path, /metrics included.
bool host_allowed(const WebAccess& access, const char* host);

// Whether a request with this Authorization header (nullptr: none) may read a page.
bool authorized(const WebAccess& access, const char* authorization);

// The secret in a token or password file: its first line, without the line end; throws
// std::runtime_error naming the file when it cannot be read or the secret is empty.
std::string read_secret_file(const std::string& path);

}  // namespace mailactor::app::web
