#include "actors/delivery/bounces.hpp"

#include "protocol/address.hpp"
#include "protocol/content_checks.hpp"
#include "protocol/dsn.hpp"
#include "routing/relay_policy.hpp"
#include "storage/mail_params.hpp"

namespace mailactor::actors {
namespace {

// The original as stored, cut a little past what a report returns whole.
std::string original_content(const storage::QueueReader& reader, const std::string& id) {
  std::string out;
  reader.content(id, [&](std::string_view piece) {
    if (out.size() <= protocol::kDsnOriginalLimit)
      out.append(piece.substr(0, protocol::kDsnOriginalLimit + 1 - out.size()));
  });
  return out;
}

std::string decoded_orcpt(const std::string& orcpt) {
  size_t semi = orcpt.find(';');
  if (semi == std::string::npos) return "";
  return orcpt.substr(0, semi) + ";" + protocol::decode_xtext(orcpt.substr(semi + 1));
}

protocol::DsnRecipient dsn_recipient(const BouncedRecipient& b) {
  const auto& r = b.result;
  if (r.state == storage::RecipientState::delivered)
    return {b.routed.original,
            decoded_orcpt(b.routed.orcpt),
            b.routed.address,
            r.success_notice == storage::DeliveryResult::SuccessNotice::relayed ? "relayed"
                                                                                : "delivered",
            "2.0.0",
            std::to_string(r.code) + " " + r.enhanced + " " + r.text,
            r.host};
  std::string status = r.enhanced.empty() ? (r.code >= 500 ? "5.0.0" : "4.0.0") : r.enhanced;
  if (r.state == storage::RecipientState::expired && status[0] == '4') status = "4.4.7";
  std::string diagnostic =
      std::to_string(r.code) + " " + (r.enhanced.empty() ? "" : r.enhanced + " ") + r.text;
  if (r.state == storage::RecipientState::expired)
    diagnostic = "delivery time expired; last reply: " + diagnostic;
  return {b.routed.original,
          decoded_orcpt(b.routed.orcpt),
          b.routed.address,
          "failed",
          status,
          diagnostic,
          r.host};
}

// A success notice goes wherever MAIL FROM says, and anyone may say anything there: with the
// content it would carry a stranger's message to a forged sender under our null sender. Only a
// sender who logged in (whose address is theirs, sender_login_match aside) gets it back whole;
// a failure report returns the content as RET asks (RFC 3461), as Postfix does.
bool returns_content(const storage::MessageMeta& original, bool success) {
  return !success || !original.auth_user.empty();
}

}  // namespace

BounceDecision make_bounce(const storage::QueueReader& reader, const routing::Router& router,
                           const std::string& hostname, const storage::MessageMeta& original,
                           const std::vector<BouncedRecipient>& failed, int64_t now) {
  BounceDecision d;
  if (failed.empty()) return d;
  if (original.mail_from.empty()) {
    d.why_not = "the sender is <>";
    return d;
  }
  std::string content = original_content(reader, original.id);
  if (protocol::count_received(content) > protocol::kDefaultMaxHops) {
    d.why_not = "more than " + std::to_string(protocol::kDefaultMaxHops) +
                " Received: header fields (a mail loop)";
    return d;
  }
  auto to = router.resolve(original.mail_from);
  using Kind = routing::Resolution::Kind;
  if (to.kind != Kind::accepted && to.kind != Kind::not_local) {
    d.why_not =
        "the sender <" + original.mail_from + "> is refused: " + routing::to_string(to.kind);
    return d;
  }
  protocol::DsnReport report;
  report.reporting_mta = hostname;
  report.queue_id = original.id;
  report.sender = original.mail_from;
  report.arrival = original.received_at;
  report.now = now;
  report.original = std::move(content);
  const bool success = failed.front().result.state == storage::RecipientState::delivered;
  report.headers_only =
      storage::mail_param(original.params, "RET") == "HDRS" || !returns_content(original, success);
  report.envid = protocol::decode_xtext(storage::mail_param(original.params, "ENVID"));
  for (const auto& f : failed)
    report.recipients.push_back(dsn_recipient(f));
  auto& b = d.bounce;
  // One bounce per failing pass, named after the message and its first failed row: reporting
  // the same failure twice (after a crash) finds it queued already.
  b.meta.id = original.id + (success ? "S" : "B") + std::to_string(failed.front().result.idx);
  b.meta.rcpt_to = {original.mail_from};
  b.meta.helo = hostname;
  b.meta.listener = "bounce";
  b.meta.protocol = "local";
  b.meta.received_at = now;
  b.content = protocol::dsn_message(report);
  if (to.kind == Kind::not_local)  // out over the relay route (held while [relay] is off)
    b.to.push_back({original.mail_from, original.mail_from,
                    routing::to_string(routing::Route::relay()),
                    routing::domain_of(original.mail_from), "", ""});
  for (const auto& f : to.recipients)
    b.to.push_back({original.mail_from, f.address, routing::to_string(f.route), f.target, "", ""});
  return d;
}

bool wants_notice(const std::string& notify, const storage::DeliveryResult& result) {
  using S = storage::RecipientState;
  if (result.state == S::delivered)
    return notify.find("SUCCESS") != std::string::npos &&
           result.success_notice != storage::DeliveryResult::SuccessNotice::next_hop;
  if (result.state != S::failed && result.state != S::expired) return false;
  return notify.empty() || notify.find("FAILURE") != std::string::npos;
}

}  // namespace mailactor::actors
