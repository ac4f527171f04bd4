// mailactor's delivery plug point: where a queued message goes besides the built-in Maildirs,
// LMTP and SMTP relay (an HTTP endpoint, a database, a message bus, ...). A target is a plain
// class with one call, `deliver`: one message's recipients on one route, the content as the
// pieces it was stored in, one result per recipient. Register a factory under a name before
// mailactor::main (mailactor/main.hpp), give it a `[delivery.<name>]` table and send addresses
// or domains to it with `[routing.routes]`:
//
//   [delivery.webhook]                       # the factory's options, and:
//   workers = 4                              #   targets working at once (mailactor's key)
//   [routing.routes]
//   "hooks.example.test" = "webhook"         # every address at this domain
//   "alerts@example.test" = "webhook"        # one address
//
// What mailactor does around your target: each worker is its own instance on its own thread (a
// detached actor), so `deliver` may block and need not be thread-safe; the queue keeps the
// message until every recipient has a final result, retries temporary ones on the schedule of
// `[queue]`, bounces permanent ones (RFC 3464) and logs each result with the queue id.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mailactor/options.hpp>
#include <mailactor/version.hpp>

namespace mailactor::delivery {

struct Recipient {
  std::string address;   // the final address (after aliases), lower case
  std::string original;  // as the client gave it in RCPT TO
};

// One delivery attempt of one message to some of its recipients, all on this target's route.
struct Job {
  std::string queue_id;   // as in the log and "250 2.0.0 Ok: queued as <id>"
  std::string route;      // the name the target is registered under
  std::string mail_from;  // the envelope sender; empty for <> (a bounce)
  std::vector<Recipient> recipients;
  // The envelope as mailactor writes it next to ingested mail, rcpt_to being this job's
  // recipients: {"id", "mail_from", "rcpt_to", "helo", "client", "listener", "auth_user", "tls",
  // "protocol", "received_at", "size", "params"}.
  std::string envelope_json;
  size_t size = 0;  // octets of content
};

// The message (RFC 5322, CRLF line ends, our Received: field first), read from the queue.
class Content {
 public:
  virtual ~Content() = default;
  // Calls `piece` with each stored piece in order; may be called again to read it again.
  // Throws std::runtime_error when the message can no longer be read.
  virtual void read(const std::function<void(std::string_view)>& piece) const = 0;
};

enum class Outcome {
  delivered,  // done: the recipient is delivered
  temporary,  // try again later (the queue's retry schedule); a bounce after the queue lifetime
  permanent,  // never: the sender gets a bounce now
};

struct Result {
  Outcome outcome = Outcome::temporary;
  std::string text;    // why, for the log, `mailactor queue` and a bounce ("HTTP 503 from ...")
  int code = 0;        // an SMTP code for the bounce; 0: 250, 451 or 550 by the outcome
  std::string status;  // an enhanced status ("5.1.1"); empty: 2.0.0, 4.0.0 or 5.0.0

  static Result delivered(std::string text) { return {Outcome::delivered, std::move(text), 0, {}}; }
  static Result temporary(std::string text) { return {Outcome::temporary, std::move(text), 0, {}}; }
  static Result permanent(std::string text) { return {Outcome::permanent, std::move(text), 0, {}}; }
};

class DeliveryTarget {
 public:
  virtual ~DeliveryTarget() = default;
  // One result per recipient of `job`, in its order (a missing or surplus result makes every
  // recipient temporary). An exception is a temporary result for every recipient.
  virtual std::vector<Result> deliver(const Job& job, const Content& content) = 0;
};

// Builds one worker's target from the `[delivery.<name>]` options (each worker gets its own
// copy; `workers` is taken by mailactor before). Throws OptionError for bad options and
// std::runtime_error when the target cannot work. Called at start.
using DeliveryTargetFactory = std::function<std::unique_ptr<DeliveryTarget>(Options&)>;

// Throws std::runtime_error when `api_version` is not the library's (register_delivery_target
// passes the version your code is compiled with).
void register_delivery_target_for_api(int api_version, const std::string& name,
                                      DeliveryTargetFactory factory);

inline void register_delivery_target(const std::string& name, DeliveryTargetFactory factory) {
  register_delivery_target_for_api(MAILACTOR_API_VERSION, name, std::move(factory));
}

}  // namespace mailactor::delivery
