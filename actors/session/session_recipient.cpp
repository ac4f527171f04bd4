// RCPT: the router's answer for the address, at once when every user source answers from
// memory, or from the resolver actors when one may block (then the engine waits, input stays
// buffered, and a lookup that takes longer than lookup_timeout is "451 4.3.0").
#include <spdlog/spdlog.h>

#include "actors/session/recipient_policy.hpp"
#include "actors/session/session_state.hpp"
#include "routing/router_source.hpp"

namespace mailactor::actors::session_detail {
namespace {

void recipient_resolved(Self* self, const std::string& address, const protocol::RcptParams& params,
                        const routing::Resolution& r) {
  auto& st = self->state;
  bool relay = may_relay(*st.settings, !st.engine->auth_user().empty(), st.peer.address);
  auto d = decide_recipient(*st.settings, address, relay, r);
  if (d.verdict.accepted) st.spool.add_recipients(address, d.finals, params);
  trace_recipient(self, address, d);
  perform(self, st.engine->recipient_checked(d.verdict));
}

}  // namespace

void check_recipient(Self* self, const std::string& address, const protocol::RcptParams& params) {
  auto& st = self->state;
  auto router = st.settings->router->current();
  if (!router->may_block() || !st.settings->resolver)
    return recipient_resolved(self, address, params, router->resolve(address));
  ++st.in_flight;
  self->request(st.settings->resolver, st.settings->lookup_timeout, resolve_atom::value, address)
      .then(
          [=](const routing::Resolution& r) {
            HandlerClock clock{self->state.meter};
            if (!self->state.closed) recipient_resolved(self, address, params, r);
            finish_request(self);
          },
          [=](caf::error& e) {
            spdlog::warn("recipient lookup for <{}> failed: {}", address, self->system().render(e));
            routing::Resolution failed;
            failed.kind = routing::Resolution::Kind::lookup_failed;
            if (!self->state.closed) recipient_resolved(self, address, params, failed);
            finish_request(self);
          });
}

}  // namespace mailactor::actors::session_detail
