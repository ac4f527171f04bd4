// The `http` auth backend's protocol, the part without sockets: the JSON a service
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

#include <mailactor/auth.hpp>

#include <string>
#include <string_view>

namespace mailactor::auth {

std::string http_auth_request_body(const auth_request& r);

// Bodies longer than this are not read (the answer is then a temporary failure).
constexpr size_t kMaxHttpAuthAnswer = 64 * 1024;

// ok (canonical_user: the body's "user", "" = as the client gave it), invalid or
// temporary_failure, with the reason for the log.
auth_result interpret_http_auth_answer(long status, std::string_view body);

}  // namespace mailactor::auth
