// The `http` auth backend's protocol, the plain part (no CAF, no sockets): the JSON a service
// gets, and what its answer means. The whole protocol, for whoever writes the service:
//
//   POST <url>   Content-Type: application/json
//   {"user": "...", "password": "...", "authzid": "...", "mechanism": "PLAIN",
//    "client": "192.0.2.1", "listener": "submission", "tls": true}
//
//   200          accepted; a body, if any, is a JSON object whose optional "user" string is the
//                canonical user name (logged, and matched by sender_login_match)
//   401 or 403   wrong user or password: the client gets 535 5.7.8
//   anything else, no answer within timeout_ms, or no connection: 454 4.7.0 (try again later)
#pragma once

#include <string>
#include <string_view>

namespace mailactor::auth {

struct HttpCredentials {
  std::string user, password, authzid, mechanism, client, listener;
  bool tls = false;
};

std::string http_auth_request_body(const HttpCredentials& c);

struct HttpAuthAnswer {
  enum class Kind { ok, invalid, temporary_failure } kind = Kind::temporary_failure;
  std::string user;    // ok: the canonical name ("" = as the client gave it)
  std::string reason;  // for the log
};

// Bodies longer than this are not read (the answer is then a temporary failure).
constexpr size_t kMaxHttpAuthAnswer = 64 * 1024;

HttpAuthAnswer interpret_http_auth_answer(long status, std::string_view body);

}  // namespace mailactor::auth
