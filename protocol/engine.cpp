// The engine's input loop, line handling and reply batching; the commands live in
// engine_commands.cpp, engine_message.cpp and engine_auth.cpp.
#include "protocol/engine.hpp"

#include <strings.h>
#include <algorithm>
#include <cctype>
#include <cstring>

namespace mailactor::protocol {

// The command table: one entry per verb, each handler checks its preconditions and proceeds.
const Engine::CommandSpec Engine::kCommands[] = {
    {"EHLO", &Engine::cmd_ehlo}, {"HELO", &Engine::cmd_helo},         {"MAIL", &Engine::cmd_mail},
    {"RCPT", &Engine::cmd_rcpt}, {"DATA", &Engine::cmd_data},         {"BDAT", &Engine::cmd_bdat},
    {"RSET", &Engine::cmd_rset}, {"NOOP", &Engine::cmd_noop},         {"QUIT", &Engine::cmd_quit},
    {"VRFY", &Engine::cmd_vrfy}, {"HELP", &Engine::cmd_help},         {"EXPN", &Engine::cmd_expn},
    {"AUTH", &Engine::cmd_auth}, {"STARTTLS", &Engine::cmd_starttls},
};

Engine::Engine(EngineConfig config) : cfg_(std::move(config)), tls_active_(cfg_.tls_active) {}

Actions Engine::greet() {
  send(220, "", cfg_.hostname + " " + cfg_.banner);
  return finish();
}

Actions Engine::input(std::string_view bytes) {
  if (phase_ == Phase::closed || phase_ == Phase::await_tls) return finish();  // discarded
  in_.append(bytes.data(), bytes.size());
  return run();
}

Waiting Engine::waiting() const {
  switch (phase_) {
    case Phase::command:
    case Phase::auth_response:
      return Waiting::command;
    case Phase::data:
    case Phase::bdat:
      return Waiting::data;
    case Phase::await_tls:
      return Waiting::tls;
    case Phase::closed:
      return Waiting::closed;
    default:
      return Waiting::host;
  }
}

const char* Engine::activity() const {
  switch (phase_) {
    case Phase::command:
    case Phase::await_sender:
    case Phase::await_recipient:
      return helo_.empty() ? "greeting" : "command";
    case Phase::auth_response:
    case Phase::await_auth:
      return "auth";
    case Phase::data:
    case Phase::bdat:
    case Phase::await_commit:
      return "data";
    case Phase::await_tls:
      return "tls";
    case Phase::closed:
      return "closed";
  }
  return "command";
}

Actions Engine::run() {
  std::string line;
  bool too_long = false;
  while (true) {
    switch (phase_) {
      case Phase::command:
        if (!take_line(line_limit(), line, too_long)) return finish();
        if (too_long) {
          send(500, "5.5.6", "Line too long");
        } else {
          dispatch(line);
        }
        break;
      case Phase::auth_response:
        if (!take_line(cfg_.max_auth_line, line, too_long)) return finish();
        if (too_long) {
          auth_abort(500, "5.5.6", "Line too long");
        } else {
          auth_response_line(line);
        }
        break;
      case Phase::data:
        consume_data();
        if (phase_ == Phase::data) return finish();
        break;
      case Phase::bdat:
        consume_bdat();
        if (phase_ == Phase::bdat) return finish();
        break;
      default:
        return finish();
    }
    if (cfg_.max_errors > 0 && errors_ >= cfg_.max_errors && phase_ != Phase::closed)
      close_with(421, "4.7.0", cfg_.hostname + " Error: too many errors");
  }
}

Actions Engine::finish() {
  if (!out_.empty()) {
    actions_.emplace_back(action::Send{std::move(out_)});
    out_.clear();
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  Actions result;
  result.swap(actions_);
  return result;
}

size_t Engine::line_limit() const {
  // AUTH lines may carry an initial response up to the SASL limit (RFC 4954 §4).
  const char* p = in_.data() + in_pos_;
  size_t avail = in_.size() - in_pos_;
  if (avail >= 5 && strncasecmp(p, "AUTH ", 5) == 0) return cfg_.max_auth_line;
  return cfg_.max_command_line;
}

bool Engine::take_line(size_t limit, std::string& line, bool& too_long) {
  too_long = false;
  const char* p = in_.data() + in_pos_;
  const size_t avail = in_.size() - in_pos_;
  const char* lf = static_cast<const char*>(std::memchr(p, '\n', avail));
  if (discarding_line_) {
    if (lf == nullptr) {
      in_pos_ = in_.size();
      return false;
    }
    in_pos_ += static_cast<size_t>(lf - p) + 1;
    discarding_line_ = false;
    too_long = true;
    line.clear();
    return true;
  }
  if (lf == nullptr) {
    // Without its LF the line is already too long once it fills the limit: drop it as it comes,
    // so an endless line costs no memory.
    if (avail >= limit) {
      in_pos_ = in_.size();
      discarding_line_ = true;
    }
    return false;
  }
  size_t len = static_cast<size_t>(lf - p);
  std::string_view l(p, len);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  in_pos_ += len + 1;
  if (l.size() + 2 > limit) {
    too_long = true;
    return true;
  }
  line.assign(l.data(), l.size());
  return true;
}

void Engine::dispatch(std::string_view line) {
  for (unsigned char c : line) {
    if ((c < 32 && c != '\t') || c == 127) {
      send(500, "5.5.2", "Error: bad character in command");
      return;
    }
  }
  size_t space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::string_view arg =
      space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  while (!arg.empty() && (arg.back() == ' ' || arg.back() == '\t'))
    arg.remove_suffix(1);
  verb_buf_.assign(verb.data(), verb.size());
  std::transform(verb_buf_.begin(), verb_buf_.end(), verb_buf_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& spec : kCommands) {
    if (verb_buf_ == spec.verb) {
      (this->*spec.handler)(Command{verb_buf_, arg});
      return;
    }
  }
  send(500, "5.5.2", "Error: command not recognized");
}

void Engine::send(const Reply& r) {
  out_ += r.wire();
  if (r.code >= 500) ++errors_;
}

void Engine::send(int code, const char* status, std::string text) {
  send(reply(code, status, std::move(text)));
}

void Engine::emit(Action a) {
  if (!out_.empty()) {
    actions_.emplace_back(action::Send{std::move(out_)});
    out_.clear();
  }
  actions_.push_back(std::move(a));
}

void Engine::close_with(int code, const char* status, std::string text) {
  close_with(reply(code, status, std::move(text)));
}

void Engine::close_with(const Reply& r) {
  if (txn_.message_open) {
    emit(action::AbortMessage{});
    txn_.message_open = false;
  }
  send(r);
  emit(action::Close{});
  phase_ = Phase::closed;
  in_.clear();
  in_pos_ = 0;
}

void Engine::reset_transaction() {
  if (txn_.message_open) emit(action::AbortMessage{});
  txn_ = Transaction{};
  decoder_.reset();
  bdat_refusal_.reset();
}

Actions Engine::sender_checked(const Verdict& v) {
  if (phase_ != Phase::await_sender) return finish();
  phase_ = Phase::command;
  if (v.accepted) {
    txn_.active = true;
    send(250, "2.1.0", "Ok");
  } else {
    txn_ = Transaction{};
    send(v.rejection);
  }
  return run();
}

Actions Engine::recipient_checked(const Verdict& v) {
  if (phase_ != Phase::await_recipient) return finish();
  phase_ = Phase::command;
  if (v.accepted) {
    txn_.rcpt_to.push_back(std::move(pending_rcpt_));
    send(250, "2.1.5", "Ok");
  } else {
    send(v.rejection);
  }
  pending_rcpt_.clear();
  return run();
}

Actions Engine::queued(std::string_view queue_id) {
  if (phase_ != Phase::await_commit) return finish();
  phase_ = Phase::command;
  txn_.message_open = false;
  ++messages_accepted_;
  reset_transaction();
  send(250, "2.0.0", "Ok: queued as " + std::string(queue_id));
  return run();
}

Actions Engine::spool_failed(Reply r) {
  if (phase_ == Phase::await_commit) {
    phase_ = Phase::command;
    txn_.message_open = false;
    reset_transaction();
    send(r);
    return run();
  }
  if (txn_.message_open) fail_message(std::move(r));
  return finish();
}

Actions Engine::tls_started() {
  if (phase_ != Phase::await_tls) return finish();
  // RFC 3207 §4.2: forget everything learnt before the handshake.
  tls_active_ = true;
  helo_.clear();
  esmtp_ = false;
  auth_user_.clear();
  reset_transaction();
  in_.clear();
  in_pos_ = 0;
  phase_ = Phase::command;
  return finish();
}

Actions Engine::timeout() {
  if (phase_ != Phase::closed) close_with(421, "4.4.2", cfg_.hostname + " Error: timeout exceeded");
  return finish();
}

Actions Engine::terminate(const Reply& r) {
  if (phase_ != Phase::closed) close_with(r);
  return finish();
}

Actions Engine::shutdown() {
  if (phase_ != Phase::closed) close_with(421, "4.3.2", cfg_.hostname + " Service shutting down");
  return finish();
}

}  // namespace mailactor::protocol
