#include "actors/outbound/relay_transaction.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "actors/delivery/delivery_results.hpp"
#include "actors/delivery/queued_content.hpp"
#include "protocol/client_transaction.hpp"
#include "storage/mail_params.hpp"

namespace mailactor::actors::outbound {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;

// Refusals decided before sending anything: a message the peer said is too big, one that needs
// SMTPUTF8 to a peer without it, or binary content (RFC 3030 §3: BINARYMIME goes only with BDAT,
// unchanged; we relay with DATA, which would rewrite its line ends and dots).
std::optional<DeliveryResult> refuse_before_sending(const PeerSession& s,
                                                    const storage::MessageMeta& meta) {
  if (!s.caps.accepts_size(meta.size))
    return results::permanent(0, 552, "5.3.4",
                              "message of " + std::to_string(meta.size) + " octets over " + s.host +
                                  "'s limit of " + std::to_string(s.caps.max_size));
  if (storage::has_mail_flag(meta.params, "SMTPUTF8") && !s.caps.smtputf8)
    return results::permanent(0, 553, "5.6.7",
                              s.host + " does not support SMTPUTF8, which the message needs");
  if (storage::mail_param(meta.params, "BODY") == "BINARYMIME")
    return results::permanent(0, 554, "5.6.3",
                              "BODY=BINARYMIME content cannot be relayed to " + s.host +
                                  " without converting it, which would change it");
  return std::nullopt;
}

// DSN (RFC 3461) to a next hop that offers it: each recipient's NOTIFY and ORCPT as its client
// gave them (stored in xtext form, passed on as they are).
std::vector<std::string> dsn_rcpt_params(const storage::QueueReader& reader,
                                         const delivery_job& job) {
  std::map<size_t, storage::RoutedRecipient> rows;
  for (auto& row : reader.recipients(job.id))
    rows[row.idx] = std::move(row.routed);
  std::vector<std::string> out;
  for (auto idx : job.idx) {
    const auto& r = rows[idx];
    out.push_back((r.notify.empty() ? "" : " NOTIFY=" + r.notify) +
                  (r.orcpt.empty() ? "" : " ORCPT=" + r.orcpt));
  }
  return out;
}

}  // namespace

std::string mail_parameters(const protocol::EhloCapabilities& caps,
                            const storage::MessageMeta& meta) {
  std::string p;
  if (caps.size_offered) p += " SIZE=" + std::to_string(meta.size);
  if (caps.eightbitmime && storage::mail_param(meta.params, "BODY") == "8BITMIME")
    p += " BODY=8BITMIME";
  if (caps.smtputf8 && storage::has_mail_flag(meta.params, "SMTPUTF8")) p += " SMTPUTF8";
  for (const char* key : {"RET", "ENVID"}) {
    std::string value = storage::mail_param(meta.params, key);
    if (caps.dsn && !value.empty()) p += std::string(" ") + key + "=" + value;
  }
  return p;
}

RelayOutcome run_relay_transaction(PeerSession& s, const storage::QueueReader& reader,
                                   const storage::MessageMeta& meta, const delivery_job& job,
                                   const std::string& dkim_header) {
  RelayOutcome out;
  if (auto refusal = refuse_before_sending(s, meta)) {
    out.results = results::all(job.idx, *refusal);
    for (auto& r : out.results)
      r.host = s.peer();
    return out;
  }
  protocol::ClientTransaction t(
      meta.mail_from, job.recipients,
      {false, s.caps.pipelining, mail_parameters(s.caps, meta),
       s.caps.dsn ? dsn_rcpt_params(reader, job) : std::vector<std::string>{}});
  bool replied = false;
  try {
    s.conn->write(t.commands());
    while (!t.done()) {
      auto r = s.conn->read_reply();
      replied = true;
      auto next = t.on_reply(r);
      if (next == protocol::ClientTransaction::Next::send_content)
        send_queued_content(*s.conn, reader, job.id, dkim_header);
      else if (auto c = t.take_command(); !c.empty())
        s.conn->write(c);
    }
    if (t.needs_reset() && !t.connection_unusable()) {
      s.conn->write("RSET\r\n");
      out.keep_session = s.conn->read_reply().code == 250;
    }
    out.keep_session = out.keep_session && !t.connection_unusable();
  } catch (const std::exception& e) {
    out.keep_session = false;
    out.stale = !replied;
    out.results = results::all(
        job.idx, results::temporary(
                     0, "4.4.2", std::string("lost connection with ") + s.peer() + ": " + e.what(),
                     s.peer()));
    return out;
  }
  for (size_t i = 0; i < job.idx.size(); ++i) {
    out.results.push_back(
        results::from_reply(job.idx[i], *t.results()[i], s.peer(), s.tls_summary()));
    out.results.back().success_notice = s.caps.dsn ? DeliveryResult::SuccessNotice::next_hop
                                                   : DeliveryResult::SuccessNotice::relayed;
  }
  return out;
}

}  // namespace mailactor::actors::outbound
