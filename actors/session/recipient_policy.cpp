#include "actors/session/recipient_policy.hpp"

#include "routing/relay_policy.hpp"

namespace mailactor::actors {
namespace {

using protocol::reply;
using protocol::Verdict;
using routing::Resolution;

Verdict refusal(Resolution::Kind kind, const std::string& address) {
  switch (kind) {
    case Resolution::Kind::unknown_user:
      return Verdict::reject(reply(550, "5.1.1", "<" + address + ">: User unknown"));
    case Resolution::Kind::loop:
      return Verdict::reject(reply(550, "5.4.6", "<" + address + ">: Alias loop"));
    case Resolution::Kind::too_deep:
      return Verdict::reject(reply(550, "5.4.6", "<" + address + ">: Too many alias levels"));
    case Resolution::Kind::too_wide:
      return Verdict::reject(
          reply(550, "5.4.6", "<" + address + ">: Alias expands to too many recipients"));
    case Resolution::Kind::lookup_failed:
      return Verdict::reject(reply(451, "4.3.0", "<" + address + ">: Temporary lookup failure"));
    default:
      return Verdict::reject(reply(550, "5.7.1", "Relay access denied"));
  }
}

}  // namespace

bool may_relay(const SessionSettings& s, bool authenticated, const std::string& client_address) {
  if (s.mode == ListenerMode::submission && authenticated) return true;
  return s.trusted_networks && s.trusted_networks->contains(client_address);
}

RecipientDecision decide_recipient(const SessionSettings& s, const std::string& address,
                                   bool may_relay, const Resolution& r) {
  const Verdict denied = refusal(Resolution::Kind::not_local, address);
  if (r.kind == Resolution::Kind::not_local) {
    if (!may_relay) return {denied, {}};
    if (!s.relay)
      return {Verdict::accept(),
              {{address, address, routing::to_string(routing::Route::ingest()), "", "", ""}}};
    return {Verdict::accept(),
            {{address, address, routing::to_string(routing::Route::relay()),
              routing::domain_of(address), "", ""}}};
  }
  // Old routing syntaxes hidden in a local part ("user%elsewhere@", "elsewhere!user@", a quoted
  // "user@elsewhere"@) would make a relay of any downstream that still honours them.
  size_t at = address.rfind('@');
  if (at != std::string::npos && address.substr(0, at).find_first_of("%!@") != std::string::npos)
    return {denied, {}};
  if (r.kind != Resolution::Kind::accepted) return {refusal(r.kind, address), {}};
  RecipientDecision d{Verdict::accept(), {}};
  for (const auto& f : r.recipients)
    d.finals.push_back({address, f.address, routing::to_string(f.route), f.target, "", ""});
  return d;
}

}  // namespace mailactor::actors
