// The spool side of one SMTP transaction, as the session sees it: a ticket taken at MAIL, the
// content streamed to the queue writer in pieces, the commit, and every way it can end early
// (abort, a lost link to a spool node, a request given up after spool_timeout, a late answer).
// Plain C++: the session actor sends the requests this type asks for and feeds the answers back;
// the unit tests drive it without CAF.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/spool_reply.hpp"
#include "protocol/actions.hpp"
#include "storage/message_meta.hpp"
#include "storage/routed_recipient.hpp"

namespace mailactor::actors {

// Where a message came from, for its record and our Received: header.
struct MessageOrigin {
  std::string client_addr;
  uint16_t client_port = 0;
  std::string listener;
  std::string hostname;      // ours
  std::string tls_protocol;  // empty without TLS
  std::string tls_cipher;
};

class SpoolTransaction {
 public:
  using Clock = std::chrono::steady_clock;

  // A request for the queue writer, or (link lost) its failure right away.
  struct Request {
    enum class Kind { append, commit, fail_now } kind;
    bool commit;          // the commit (or, fail_now, what failed was the commit)
    uint64_t generation;  // hand back with the answer
    uint64_t seq;         // ... and this, to tell a given-up request's late answer
    std::string queue_id;
    std::string content;
    storage::MessageMeta meta;                         // commit only
    std::vector<storage::RoutedRecipient> recipients;  // commit only
  };

  // The meaning of the writer's answer for the session.
  struct Outcome {
    enum class Kind { stale, appended, queued, failed } kind = Kind::stale;
    std::string queue_id;
    spool_reply reply;  // the writer's (queued: its size; failed: what to tell the client)
  };

  // MAIL: a ticket is asked for; answers to earlier tickets or transactions become stale, and
  // the recipients of an earlier transaction are forgotten.
  uint64_t ask_ticket() {
    recipients_.clear();
    return ++generation_;
  }
  // An accepted RCPT's final recipients, as the router decided; one already added for another
  // RCPT (an alias and its member, say) is kept once, with the first RCPT as its original.
  void add_recipients(const std::string& original,
                      const std::vector<storage::RoutedRecipient>& finals,
                      const protocol::RcptParams& dsn = {});
  const std::vector<storage::RoutedRecipient>& recipients() const { return recipients_; }
  bool current(uint64_t generation) const { return generation == generation_; }
  // The spooler's ticket: the queue id, and whether its writer is on a spool node (a link that
  // can be lost mid-transaction).
  void ticket(std::string queue_id, bool remote);
  bool has_ticket() const { return !queue_id_.empty(); }
  bool remote() const { return remote_; }

  // DATA/BDAT: the record starts; returns false without a ticket.
  bool begin(const protocol::Envelope& env, const MessageOrigin& origin, int64_t unix_now);
  void add(std::string_view bytes);
  void end() { ending_ = true; }
  bool open() const { return open_; }

  // The next request once `chunk` bytes have gathered, or the commit after end(); nothing while
  // a request of this transaction is in flight.
  std::optional<Request> next(size_t chunk, Clock::time_point now, int64_t unix_now);

  // The writer's answer to request (generation, seq): false when that request was given up.
  bool claim_answer(uint64_t seq);
  // What an answer to a request of `generation` means. After a commit's answer (queued, or a
  // failed commit) the transaction is over: reset() it.
  Outcome answer(uint64_t generation, bool commit, const spool_reply& r);

  // The request in flight, if any, is given up (its answer, should one come, is stale); true
  // when there was one: the session then answers it itself.
  bool give_up();
  uint64_t generation() const { return generation_; }
  bool overdue(Clock::time_point now, std::chrono::seconds limit) const;
  // The spool node's link went down: the transaction fails, at once or with its next request.
  void lose_link() { lost_ = true; }

  // Abort: true when the writer holds content of it and must be told to drop it.
  bool must_tell_writer_on_abort() const { return written_ && !lost_; }
  void reset();

  const std::string& queue_id() const { return queue_id_; }
  const storage::MessageMeta& meta() const { return meta_; }
  Clock::time_point started() const { return started_; }
  bool commit_pending() const { return ending_; }

 private:
  std::string queue_id_;
  uint64_t generation_ = 0;
  bool open_ = false;     // begun and not yet committed or aborted
  bool ending_ = false;   // end() seen: commit once no request is in flight
  bool busy_ = false;     // an append or commit is in flight
  bool written_ = false;  // something was appended: an abort must reach the writer
  bool remote_ = false;
  bool lost_ = false;
  bool request_open_ = false;  // the request in flight still awaits its answer
  uint64_t request_seq_ = 0;
  Clock::time_point request_sent_;
  std::string content_;  // not yet sent to the writer
  storage::MessageMeta meta_;
  std::vector<storage::RoutedRecipient> recipients_;
  Clock::time_point started_;
};

// The MAIL parameters as the queue records them: "SIZE=123 BODY=8BITMIME SMTPUTF8".
std::string mail_params_text(const protocol::MailParams& p);

}  // namespace mailactor::actors
