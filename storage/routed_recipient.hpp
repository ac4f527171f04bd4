// One final recipient of a message as the router decided it at RCPT time, and its delivery state
// in the queue (the recipients table: one row per final recipient).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailactor::storage {

// The one list of RoutedRecipient's fields: X(name, column in the recipients table, what it
// holds). The struct, the queue's insert and select (queue_columns.hpp) and CAF's serialization
// (actors/messages.hpp) expand it; the table's DDL and its migrations (queue_schema.cpp) are the
// database's history and name the columns themselves.
#define MAILACTOR_ROUTED_RECIPIENT_FIELDS(X)                                                 \
  X(original, orig_rcpt, "the RCPT address as the client gave it")                           \
  X(address, final_rcpt, "the final address (after aliases)")                                \
  X(route, route, "routing::to_string(Route): \"ingest\", \"maildir\", \"lmtp\", \"relay\"") \
  X(target, target, "the route's target (maildir: the mailbox), may be empty")               \
  X(notify, notify, "DSN NOTIFY as given (\"\" = the default: failures only)")               \
  X(orcpt, orcpt, "DSN ORCPT as given (\"rfc822;a@b\", xtext), may be empty")

// What the session hands over with the commit: the decision, made durable with the message.
struct RoutedRecipient {
#define MAILACTOR_DECLARE_RECIPIENT_FIELD(name, column, what) std::string name;
  MAILACTOR_ROUTED_RECIPIENT_FIELDS(MAILACTOR_DECLARE_RECIPIENT_FIELD)
#undef MAILACTOR_DECLARE_RECIPIENT_FIELD
};

// Calls f(column, field) for each field of `r`, in the list's order.
template <class Recipient, class F>
void for_each_column(Recipient& r, F&& f) {
#define MAILACTOR_VISIT_RECIPIENT_FIELD(name, column, what) f(#column, r.name);
  MAILACTOR_ROUTED_RECIPIENT_FIELDS(MAILACTOR_VISIT_RECIPIENT_FIELD)
#undef MAILACTOR_VISIT_RECIPIENT_FIELD
}

// pending: to deliver at next_attempt_at; held: not until released (mailactor queue hold);
// bouncing: given up by the operator, the deliverer fails and bounces it (mailactor queue
// bounce); delivered, failed and expired are final.
enum class RecipientState { pending, inflight, delivered, failed, expired, held, bouncing };
const char* to_string(RecipientState s);
std::optional<RecipientState> parse_recipient_state(const std::string& s);

// A row of the recipients table.
struct RecipientRow {
  size_t idx = 0;
  RoutedRecipient routed;
  RecipientState state = RecipientState::pending;
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;  // unix seconds
  std::optional<int64_t> last_attempt_at;
  std::optional<int> last_code;  // the last reply, when there was one
  std::string last_enhanced, last_text, last_host;
};

// What one delivery attempt did for one recipient, and the state it leaves the row in.
struct DeliveryResult {
  uint32_t idx = 0;                                  // the recipient's row
  RecipientState state = RecipientState::delivered;  // pending: try again at next_attempt_at
  int64_t next_attempt_at = 0;
  int code = 0;  // the reply: 250 delivered, 4xx temporary, 5xx permanent
  std::string enhanced, text, host;
  // Delivered: who tells a sender that asked (NOTIFY=SUCCESS). We do, as "delivered" (a final
  // delivery) or "relayed" (to a next hop without DSN, RFC 3461 §5.2.2.1); or the next hop
  // does, having taken NOTIFY on.
  enum class SuccessNotice : uint8_t { delivered, relayed, next_hop };
  SuccessNotice success_notice = SuccessNotice::delivered;
};

// A delivery reply as one line: "250 2.0.0 text [host]" (parts left out when empty), as the queue
// CLI, the traces and the deliverer's trace show it.
std::string reply_line(int code, const std::string& enhanced, const std::string& text,
                       const std::string& host);

// The recipients of a message that lists only its RCPT addresses (a queue written before
// routing, or a commit without a routing decision): each goes to the ingest Maildir.
std::vector<RoutedRecipient> ingest_recipients(const std::vector<std::string>& rcpt_to);

}  // namespace mailactor::storage
