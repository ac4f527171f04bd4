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
// Other domains: 550 5.7.1 on mx listeners; on submission, once authenticated, the ingest
// Maildir (there is no outbound delivery yet).
RecipientDecision decide_recipient(const SessionSettings& s, const std::string& address,
                                   bool authenticated, const routing::Resolution& r);

}  // namespace mailactor::actors
