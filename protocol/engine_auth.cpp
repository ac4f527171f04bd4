// AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN. The engine only decodes the exchange; the
// credential check is an Authenticate action answered through auth_result().
#include <algorithm>
#include <cctype>

#include "protocol/base64.hpp"
#include "protocol/engine.hpp"

namespace mailactor::protocol {
namespace {
const char kUsernamePrompt[] = "VXNlcm5hbWU6";  // "Username:"
const char kPasswordPrompt[] = "UGFzc3dvcmQ6";  // "Password:"
}  // namespace

void Engine::cmd_auth(const Command& c) {
  if (cfg_.auth_mechanisms.empty()) return send(502, "5.5.1", "Error: AUTH not enabled");
  if (!esmtp_) return send(503, "5.5.1", "Error: send EHLO first");
  if (!auth_offered())
    return send(538, "5.7.11", "Encryption required for requested authentication mechanism");
  if (!auth_user_.empty()) return send(503, "5.5.1", "Error: already authenticated");
  if (txn_.active) return send(503, "5.5.1", "Error: MAIL transaction in progress");

  size_t space = c.arg.find(' ');
  std::string mechanism(c.arg.substr(0, space));
  std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
  if (mechanism.empty()) return send(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  if (std::find(cfg_.auth_mechanisms.begin(), cfg_.auth_mechanisms.end(), mechanism) ==
      cfg_.auth_mechanisms.end())
    return send(504, "5.5.4", "Unrecognized authentication type");

  auth_ = AuthExchange{mechanism, 0, {}};
  if (space == std::string_view::npos) {
    // No initial response: ask for it.
    phase_ = Phase::auth_response;
    return send(Reply{334, "", {mechanism == "LOGIN" ? kUsernamePrompt : ""}});
  }
  std::string_view initial = c.arg.substr(space + 1);
  if (initial == "=") return auth_step("");  // RFC 4954: "=" is an empty initial response
  auto decoded = base64_decode(initial);
  if (!decoded) return send(501, "5.5.2", "Cannot decode AUTH initial response");
  auth_step(*decoded);
}

void Engine::auth_response_line(std::string_view line) {
  if (line == "*") return auth_abort(501, "5.0.0", "Authentication cancelled");
  auto decoded = base64_decode(line);
  if (!decoded) return auth_abort(501, "5.5.2", "Cannot decode AUTH response");
  phase_ = Phase::command;
  auth_step(*decoded);
}

void Engine::auth_step(std::string_view response) {
  if (auth_.mechanism == "PLAIN") {
    auto creds = parse_sasl_plain(response);
    if (!creds) return auth_abort(501, "5.5.2", "Invalid PLAIN response");
    return auth_submit(std::move(*creds));
  }
  // LOGIN: username, then password.
  if (auth_.step == 0) {
    auth_.login_user.assign(response.data(), response.size());
    auth_.step = 1;
    phase_ = Phase::auth_response;
    return send(Reply{334, "", {kPasswordPrompt}});
  }
  auth_submit(Credentials{"", auth_.login_user, std::string(response)});
}

void Engine::auth_submit(Credentials c) {
  auth_.login_user = c.user;
  phase_ = Phase::await_auth;
  emit(action::Authenticate{auth_.mechanism, std::move(c.authzid), std::move(c.user),
                            std::move(c.secret)});
}

void Engine::auth_abort(int code, const char* status, std::string text) {
  phase_ = Phase::command;
  auth_ = AuthExchange{};
  send(code, status, std::move(text));
}

Actions Engine::auth_result(AuthOutcome outcome, std::string canonical_user) {
  if (phase_ != Phase::await_auth) return finish();
  phase_ = Phase::command;
  switch (outcome) {
    case AuthOutcome::ok:
      auth_user_ = canonical_user.empty() ? auth_.login_user : std::move(canonical_user);
      send(235, "2.7.0", "Authentication successful");
      break;
    case AuthOutcome::invalid:
      send(535, "5.7.8", "Authentication credentials invalid");
      break;
    case AuthOutcome::temporary_failure:
      send(454, "4.7.0", "Temporary authentication failure");
      break;
  }
  auth_ = AuthExchange{};
  return run();
}

}  // namespace mailactor::protocol
