// One message over an open outbound session: the checks that need no sending (SIZE, SMTPUTF8),
// then MAIL, a RCPT per recipient and DATA (pipelined when offered), the content streamed from
// the queue in its stored pieces and dot-stuffed (a large message never sits whole in memory),
// and one result per recipient.
#pragma once

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/outbound/peer_session.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors::outbound {

struct RelayOutcome {
  std::vector<storage::DeliveryResult> results;  // one per recipient of the job
  bool keep_session = true;  // false: close it (broken, or the server waits for content)
  bool stale = false;        // it failed before the server answered anything
};

RelayOutcome run_relay_transaction(PeerSession& s, const storage::QueueReader& reader,
                                   const storage::MessageMeta& meta, const delivery_job& job,
                                   const std::string& dkim_header);

// The MAIL parameters this peer gets for this message (SIZE, BODY=8BITMIME, SMTPUTF8).
std::string mail_parameters(const protocol::EhloCapabilities& caps,
                            const storage::MessageMeta& meta);

}  // namespace mailactor::actors::outbound
