// The server side of one SMTP session, sans I/O: bytes in, actions out, results fed back in.
//
// Input is consumed only while the engine is not waiting for a result (sender/recipient check,
// authentication, commit, TLS handshake): what arrived meanwhile stays buffered, so pipelined
// commands are answered in order. The buffer holds at most what the host fed in one call plus
// one partial command line, so a host that feeds only when wants_input() is true keeps memory
// bounded however long a line or message is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/actions.hpp"
#include "protocol/content_checks.hpp"
#include "protocol/data_decoder.hpp"
#include "protocol/reply.hpp"
#include "protocol/sasl.hpp"

namespace mailactor::protocol {

// NUL octets in text content (not BODY=BINARYMIME): Maildir readers, IMAP servers and next hops
// break on them (RFC 5321 §2.4 allows none).
enum class NulBytes {
  reject,  // 550 5.6.0 at the end of the data, nothing stored
  strip,   // drop them, keep the rest
};

struct EngineConfig {
  std::string hostname = "localhost";
  std::string banner = "ESMTP mailactor";
  uint64_t max_message_size = 25 * 1024 * 1024;
  size_t max_recipients = 100;
  size_t max_messages = 0;                   // per session; then MAIL gets 421 4.7.0; 0 = no limit
  size_t max_errors = 20;                    // replies >= 500 before 421 4.7.0; 0 = no limit
  size_t max_command_line = 512;             // octets including CRLF (RFC 5321 §4.5.3.1.4)
  size_t max_auth_line = 12288;              // RFC 4954 §4
  bool starttls = false;                     // offer STARTTLS (the host can do TLS)
  bool tls_active = false;                   // implicit TLS: the session starts encrypted
  std::vector<std::string> auth_mechanisms;  // e.g. {"PLAIN", "LOGIN"}; empty: no AUTH
  bool allow_plaintext_auth = false;         // offer AUTH without TLS
  bool auth_required = false;                // MAIL needs AUTH first (530 5.7.0)
  bool require_tls = false;                  // MAIL needs TLS first (530 5.7.0)
  BareNewline bare_newline = BareNewline::normalize;
  NulBytes nul_bytes = NulBytes::reject;
  // Received: plus Delivered-To: fields at which a message is refused as looping; 0 = no limit.
  size_t max_hops = kDefaultMaxHops;
};

// Answer to a CheckSender / CheckRecipient action.
struct Verdict {
  bool accepted = true;
  Reply rejection;  // used when !accepted
  static Verdict accept() { return {}; }
  static Verdict reject(Reply r) { return {false, std::move(r)}; }
};

enum class AuthOutcome { ok, invalid, temporary_failure };

// What the engine is waiting for; the host picks its timeout from it (RFC 5321 §4.5.3.2).
enum class Waiting {
  command,  // the next command line (or an AUTH response)
  data,     // message content (DATA body or BDAT octets)
  host,     // a result from the host: input stays buffered until it comes
  tls,      // the TLS handshake
  closed,   // the session is over
};

class Engine {
 public:
  explicit Engine(EngineConfig config);

  Actions greet();
  Actions input(std::string_view bytes);

  // Results of actions.
  Actions sender_checked(const Verdict& v);
  Actions recipient_checked(const Verdict& v);
  Actions auth_result(AuthOutcome outcome, std::string canonical_user = {});
  Actions queued(std::string_view queue_id);
  // The spool refused or lost the message (shed, disk error). During the content the engine
  // keeps reading to the end of the data and then answers with this reply.
  Actions spool_failed(Reply r);
  Actions tls_started();

  // Host events.
  Actions timeout();   // 421 4.4.2 and close
  Actions shutdown();  // 421 4.3.2 and close
  // Ends the session with the host's reply (e.g. 421 4.7.0 after too many failed AUTHs).
  Actions terminate(const Reply& r);

  Waiting waiting() const;
  // What the session is doing, for monitoring: "greeting" (no HELO/EHLO yet), "command",
  // "auth", "tls", "data" or "closed". A static string.
  const char* activity() const;
  bool wants_input() const { return waiting() == Waiting::command || waiting() == Waiting::data; }
  // STARTTLS stays advertised; while unavailable (no usable certificate) it answers 454 4.7.0.
  void set_tls_available(bool available) { tls_available_ = available; }
  bool in_transaction() const { return txn_.active; }
  bool tls_active() const { return tls_active_; }
  const std::string& auth_user() const { return auth_user_; }
  const std::string& helo() const { return helo_; }
  size_t buffered_bytes() const { return in_.size() - in_pos_; }
  size_t messages_accepted() const { return messages_accepted_; }
  size_t errors() const { return errors_; }
  // Replies >= 500 before 421 4.7.0 from now on (tightened under stress); 0 = no limit.
  void set_max_errors(size_t n) { cfg_.max_errors = n; }
  size_t max_errors() const { return cfg_.max_errors; }

 private:
  enum class Phase {
    command,
    auth_response,  // waiting for the client's next AUTH line
    data,           // DATA content
    bdat,           // BDAT octets
    await_sender,
    await_recipient,
    await_auth,
    await_commit,
    await_tls,
    closed,
  };

  struct Transaction {
    bool active = false;  // MAIL accepted
    std::string mail_from;
    MailParams params;
    std::vector<std::string> rcpt_to;
    bool rcpt_tried = false;
    bool message_open = false;  // BeginMessage sent, End/Abort not yet
    bool bdat = false;
    uint64_t size = 0;
    std::optional<Reply> failure;  // the message will be refused with this at its end
  };

  struct AuthExchange {
    std::string mechanism;
    int step = 0;
    std::string login_user;
  };

  struct Command {
    std::string_view verb;  // upper-cased copy lives in verb_buf_
    std::string_view arg;
  };
  using Handler = void (Engine::*)(const Command&);
  struct CommandSpec {
    const char* verb;
    Handler handler;
  };
  static const CommandSpec kCommands[];

  // engine.cpp: the loop, lines, replies
  Actions run();
  Actions finish();
  bool take_line(size_t limit, std::string& line, bool& too_long);
  void dispatch(std::string_view line);
  void send(const Reply& r);
  void send(int code, const char* status, std::string text);
  void emit(Action a);
  void close_with(const Reply& r);
  void close_with(int code, const char* status, std::string text);
  void reset_transaction();
  void count_error(const Reply& r);
  size_t line_limit() const;

  // engine_commands.cpp
  void cmd_ehlo(const Command& c);
  void cmd_helo(const Command& c);
  void cmd_mail(const Command& c);
  void cmd_rcpt(const Command& c);
  void cmd_rset(const Command& c);
  void cmd_noop(const Command& c);
  void cmd_quit(const Command& c);
  void cmd_vrfy(const Command& c);
  void cmd_help(const Command& c);
  void cmd_expn(const Command& c);
  void cmd_starttls(const Command& c);
  void greet_client(const Command& c, bool esmtp);
  std::vector<std::string> extensions() const;
  bool auth_offered() const;

  // engine_message.cpp
  void cmd_data(const Command& c);
  void cmd_bdat(const Command& c);
  std::optional<Reply> message_start_error() const;
  void open_message();
  void consume_data();
  void consume_bdat();
  void add_content(std::string& chunk);
  void fail_message(Reply r);
  static Reply bare_newline_refusal();
  void end_message();

  // engine_auth.cpp
  void cmd_auth(const Command& c);
  void auth_step(std::string_view response);
  void auth_response_line(std::string_view line);
  void auth_submit(Credentials c);
  void auth_abort(int code, const char* status, std::string text);

  EngineConfig cfg_;
  Phase phase_ = Phase::command;
  Actions actions_;
  std::string out_;  // replies batched until the next flush (RFC 2920 §3.2)
  std::string in_;
  size_t in_pos_ = 0;
  bool discarding_line_ = false;  // skipping the rest of an over-long line
  std::string verb_buf_;

  std::string helo_;
  bool esmtp_ = false;
  bool tls_active_ = false;
  bool tls_available_ = true;
  std::string auth_user_;
  AuthExchange auth_;
  Transaction txn_;
  DataDecoder decoder_;
  HopCounter hops_;
  BareNewlineScanner bdat_newlines_;
  std::string pending_rcpt_;
  uint64_t bdat_chunk_size_ = 0;
  uint64_t bdat_remaining_ = 0;
  bool bdat_last_ = false;
  std::optional<Reply> bdat_refusal_;  // the BDAT was refused: its octets are skipped
  size_t messages_accepted_ = 0;
  size_t errors_ = 0;
};

}  // namespace mailactor::protocol
