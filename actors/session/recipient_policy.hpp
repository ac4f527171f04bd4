// Which recipients a listener accepts and where each goes: the router's answer turned into the
// RCPT reply, with the relay decision, kept out of the SMTP engine.
#pragma once

#include <string>
#include <vector>

#include "actors/settings.hpp"
#include "protocol/engine.hpp"
#include "routing/router.hpp"
#include "storage/routed_recipient.hpp"

namespace mailactor::actors {

struct RecipientDecision {
  protocol::Verdict verdict;
  std::vector<storage::RoutedRecipient> finals;  // accepted: where the message goes for it
};

// Local domains: as the router decides (550 5.1.1 unknown, 550 5.4.6 loop, 451 4.3.0 lookup
// failure), 550 5.7.1 for local parts holding a route ('%', '!', or a quoted '@').
// Other domains: 550 5.7.1 unless the client may relay (may_relay); then the relay route when
// [relay] is enabled, else the ingest Maildir.
RecipientDecision decide_recipient(const SessionSettings& s, const std::string& address,
                                   bool may_relay, const routing::Resolution& r);

// Authenticated on a submission listener, or connected from one of [relay] trusted_networks.
bool may_relay(const SessionSettings& s, bool authenticated, const std::string& client_address);

}  // namespace mailactor::actors
