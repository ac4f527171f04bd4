// AUTH through the auth front (with the failure tarpit and limit) and sender_login_match.
#include "actors/session/session_state.hpp"

#include <spdlog/spdlog.h>

#include <cctype>

namespace mailactor::actors::session_detail {

// sender_login_match: an authenticated user sends only as itself ("alice" owns alice@any
// domain; "alice@example.test" owns exactly that address).
bool sender_allowed(Self* self, const std::string& address) {
  auto& st = self->state;
  const std::string& user = st.engine->auth_user();
  if (!st.settings->sender_login_match || user.empty()) return true;
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string addr = lower(address);
  std::string who = lower(user);
  bool owns = who.find('@') != std::string::npos ? addr == who : addr.rfind(who + "@", 0) == 0;
  if (owns) return true;
  perform(self, st.engine->sender_checked(protocol::Verdict::reject(protocol::reply(
                    553, "5.7.1", "Sender address rejected: not owned by user " + user))));
  return false;
}

void authenticate(Self* self, const action::Authenticate& a) {
  auth_request req{a.mechanism,
                   a.authzid,
                   a.user,
                   a.secret,
                   self->state.peer.address,
                   self->state.settings->listener,
                   self->state.engine->tls_active()};
  ++self->state.in_flight;
  auto t0 = Clock::now();
  std::string user = a.user;
  std::string mechanism = a.mechanism;
  auto done = [=](const auth_result& r) {
    HandlerClock clock{self->state.meter};
    auto& s = self->state;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    const char* result = r.get() == auth_status::ok        ? "ok"
                         : r.get() == auth_status::invalid ? "invalid"
                                                           : "temporary failure";
    spdlog::info("auth {}:{} mechanism={} user={} result={} ms={}{}", s.peer.address, s.peer.port,
                 mechanism, user, result, ms, r.reason.empty() ? "" : " (" + r.reason + ")");
    if (s.closed) {
      finish_request(self);
      return;
    }
    if (r.get() != auth_status::invalid) {
      auto outcome = r.get() == auth_status::ok ? protocol::AuthOutcome::ok
                                                : protocol::AuthOutcome::temporary_failure;
      if (outcome == protocol::AuthOutcome::ok) s.trace.auth_us = trace::now_us();
      perform(self, s.engine->auth_result(outcome, r.canonical_user));
      finish_request(self);
      return;
    }
    ++s.auth_failures;
    count(self,
          metrics::Id::auth_failures);  // one total: a label per client would grow without bound
    // Tarpit: every failure in this session waits longer before its answer.
    auto delay = s.settings->auth_tarpit * static_cast<int64_t>(s.auth_failures);
    self->delayed_send(self, delay, auth_done_atom::value);
  };
  self->request(self->state.auth, self->state.settings->auth_timeout + std::chrono::seconds(2),
                authenticate_atom::value, std::move(req))
      .then(done, [=](caf::error& e) {
        done(auth_result::temporary_failure("auth front: " + self->system().render(e)));
      });
}

void auth_failed(Self* self) {
  auto& s = self->state;
  if (!s.closed) {
    perform(self, s.engine->auth_result(protocol::AuthOutcome::invalid));
    if (!s.closed && s.auth_failures >= s.settings->max_auth_failures) {
      spdlog::info("auth {}:{}: {} failures, disconnecting", s.peer.address, s.peer.port,
                   s.auth_failures);
      perform(self, s.engine->terminate(
                        protocol::reply(421, "4.7.0", "Too many authentication failures")));
    }
  }
  finish_request(self);
}

}  // namespace mailactor::actors::session_detail
