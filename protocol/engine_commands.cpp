// Session and envelope commands: EHLO/HELO, MAIL, RCPT, RSET, NOOP, QUIT, VRFY, HELP, EXPN,
// STARTTLS. Each checks its preconditions (replying with the RFC 5321 code when one fails) and
// then proceeds.
#include <strings.h>
#include <algorithm>
#include <cctype>

#include "protocol/address.hpp"
#include "protocol/engine.hpp"

namespace mailactor::protocol {
namespace {

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && starts_with_ci(a, b);
}

bool parse_size(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 18) return false;
  out = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// NOTIFY=NEVER, or a comma list of SUCCESS, FAILURE and DELAY, each once (RFC 3461 §4.1).
bool valid_notify(const std::string& value) {
  std::string v = upper(value);
  if (v == "NEVER") return true;
  std::vector<std::string> seen;
  size_t at = 0;
  while (true) {
    size_t comma = v.find(',', at);
    std::string word = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (word != "SUCCESS" && word != "FAILURE" && word != "DELAY") return false;
    if (std::find(seen.begin(), seen.end(), word) != seen.end()) return false;
    seen.push_back(word);
    if (comma == std::string::npos) return true;
    at = comma + 1;
  }
}

}  // namespace

bool Engine::auth_offered() const {
  return !cfg_.auth_mechanisms.empty() && (tls_active_ || cfg_.allow_plaintext_auth);
}

std::vector<std::string> Engine::extensions() const {
  std::vector<std::string> ext = {"PIPELINING",
                                  "SIZE " + std::to_string(cfg_.max_message_size),
                                  "8BITMIME",
                                  "SMTPUTF8",
                                  "ENHANCEDSTATUSCODES",
                                  "CHUNKING",
                                  "BINARYMIME",
                                  "DSN"};
  if (cfg_.starttls && !tls_active_) ext.push_back("STARTTLS");
  if (auth_offered()) {
    std::string line = "AUTH";
    for (const auto& m : cfg_.auth_mechanisms)
      line += " " + m;
    ext.push_back(line);
  }
  return ext;
}

void Engine::greet_client(const Command& c, bool esmtp) {
  reset_transaction();
  helo_.assign(c.arg.data(), c.arg.size());
  esmtp_ = esmtp;
  // RFC 2034 §3: no enhanced status codes in the replies to HELO and EHLO.
  Reply r{250, "", {cfg_.hostname}};
  if (esmtp) {
    for (auto& e : extensions())
      r.lines.push_back(std::move(e));
  }
  send(r);
}

void Engine::cmd_ehlo(const Command& c) {
  if (!is_ehlo_argument(c.arg)) return send(501, "5.5.4", "Syntax: EHLO hostname");
  greet_client(c, true);
}

void Engine::cmd_helo(const Command& c) {
  if (!is_ehlo_argument(c.arg)) return send(501, "5.5.4", "Syntax: HELO hostname");
  greet_client(c, false);
}

void Engine::cmd_mail(const Command& c) {
  if (helo_.empty()) return send(503, "5.5.1", "Error: send HELO/EHLO first");
  if (txn_.active) return send(503, "5.5.1", "Error: nested MAIL command");
  if (cfg_.max_messages > 0 && messages_accepted_ >= cfg_.max_messages)
    return close_with(421, "4.7.0", cfg_.hostname + " Error: too many messages in this session");
  if (cfg_.require_tls && !tls_active_)
    return send(530, "5.7.0", "Must issue a STARTTLS command first");
  if (cfg_.auth_required && auth_user_.empty())
    return send(530, "5.7.0", "Authentication required");
  if (!starts_with_ci(c.arg, "FROM:")) return send(501, "5.5.4", "Syntax: MAIL FROM:<address>");
  PathArgument arg = split_path_argument(c.arg, "FROM:");
  if (!arg.ok) return send(501, "5.1.7", "Bad sender address syntax");
  if (!arg.params_ok || (!esmtp_ && !arg.params.empty()))
    return send(555, "5.5.4", "Unsupported or malformed MAIL parameter");

  MailParams params;
  for (const auto& p : arg.params) {
    const std::string value = p.value.value_or("");
    if (p.keyword == "SIZE") {
      uint64_t n = 0;
      if (!parse_size(value, n)) return send(501, "5.5.4", "Bad SIZE parameter");
      params.size = n;
    } else if (p.keyword == "BODY") {
      if (iequals(value, "7BIT")) {
        params.body = BodyType::seven_bit;
      } else if (iequals(value, "8BITMIME")) {
        params.body = BodyType::eight_bit_mime;
      } else if (iequals(value, "BINARYMIME")) {
        params.body = BodyType::binary_mime;
      } else {
        return send(555, "5.5.4", "Unsupported BODY parameter");
      }
    } else if (p.keyword == "SMTPUTF8" && !p.value) {
      params.smtputf8 = true;
    } else if (p.keyword == "RET" && params.ret.empty()) {
      if (!iequals(value, "FULL") && !iequals(value, "HDRS"))
        return send(501, "5.5.4", "Bad RET parameter");
      params.ret = iequals(value, "FULL") ? "FULL" : "HDRS";
    } else if (p.keyword == "ENVID" && params.envid.empty()) {
      if (value.empty() || value.size() > 100 || !is_xtext(value))
        return send(501, "5.5.4", "Bad ENVID parameter");
      params.envid = value;
    } else if (p.keyword == "AUTH" && p.value && auth_offered()) {
      // RFC 4954 §5: the original submitter; we record the authenticated user instead.
    } else {
      return send(555, "5.5.4", "Unsupported parameter " + p.keyword);
    }
  }

  PathParse path = parse_path(arg.path, true, false, params.smtputf8);
  switch (path.error) {
    case PathError::none:
      break;
    case PathError::utf8_forbidden:
      return send(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    case PathError::too_long:
      return send(501, "5.1.7", "Sender address too long");
    case PathError::syntax:
      return send(501, "5.1.7", "Bad sender address syntax");
  }
  if (params.size && *params.size > cfg_.max_message_size)
    return send(552, "5.3.4", "Message size exceeds fixed maximum message size");

  txn_ = Transaction{};
  txn_.mail_from = path.path.address();
  txn_.params = params;
  phase_ = Phase::await_sender;
  emit(action::CheckSender{txn_.mail_from, params});
}

void Engine::cmd_rcpt(const Command& c) {
  if (!txn_.active) return send(503, "5.5.1", "Error: need MAIL command");
  if (txn_.bdat) return send(503, "5.5.1", "Error: RCPT after BDAT");
  if (!starts_with_ci(c.arg, "TO:")) return send(501, "5.5.4", "Syntax: RCPT TO:<address>");
  PathArgument arg = split_path_argument(c.arg, "TO:");
  if (!arg.ok) return send(501, "5.1.3", "Bad recipient address syntax");
  if (!arg.params_ok || (!esmtp_ && !arg.params.empty()))
    return send(555, "5.5.4", "Unsupported or malformed RCPT parameter");
  RcptParams rcpt_params;
  for (const auto& p : arg.params) {
    const std::string value = p.value.value_or("");
    if (p.keyword == "NOTIFY" && rcpt_params.notify.empty()) {
      if (!valid_notify(value)) return send(501, "5.5.4", "Bad NOTIFY parameter");
      rcpt_params.notify = upper(value);
    } else if (p.keyword == "ORCPT" && rcpt_params.orcpt.empty()) {
      size_t semi = value.find(';');
      if (semi == std::string::npos || semi == 0 || value.size() > 500 ||
          !is_xtext(value.substr(semi + 1)))
        return send(501, "5.5.4", "Bad ORCPT parameter");
      rcpt_params.orcpt = value;
    } else {
      return send(555, "5.5.4", "Unsupported parameter " + p.keyword);
    }
  }
  PathParse path = parse_path(arg.path, false, true, txn_.params.smtputf8);
  switch (path.error) {
    case PathError::none:
      break;
    case PathError::utf8_forbidden:
      return send(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
    case PathError::too_long:
      return send(501, "5.1.3", "Recipient address too long");
    case PathError::syntax:
      return send(501, "5.1.3", "Bad recipient address syntax");
  }
  txn_.rcpt_tried = true;
  if (txn_.rcpt_to.size() >= cfg_.max_recipients)
    return send(452, "4.5.3", "Error: too many recipients");
  pending_rcpt_ = path.path.address();
  phase_ = Phase::await_recipient;
  emit(action::CheckRecipient{pending_rcpt_, std::move(rcpt_params)});
}

void Engine::cmd_rset(const Command& c) {
  if (!c.arg.empty()) return send(501, "5.5.4", "Syntax: RSET");
  reset_transaction();
  send(250, "2.0.0", "Ok");
}

void Engine::cmd_noop(const Command&) {
  send(250, "2.0.0", "Ok");
}

void Engine::cmd_quit(const Command&) {
  close_with(221, "2.0.0", "Bye");
}

void Engine::cmd_vrfy(const Command& c) {
  if (c.arg.empty()) return send(501, "5.5.4", "Syntax: VRFY address");
  // Never confirm or deny a user (RFC 5321 §7.3).
  send(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

void Engine::cmd_help(const Command&) {
  send(214, "2.0.0",
       "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH");
}

void Engine::cmd_expn(const Command&) {
  send(502, "5.5.1", "Error: EXPN not supported");
}

void Engine::cmd_starttls(const Command& c) {
  if (!cfg_.starttls) return send(502, "5.5.1", "Error: STARTTLS not enabled");
  if (tls_active_) return send(503, "5.5.1", "Error: TLS already active");
  if (!c.arg.empty()) return send(501, "5.5.4", "Syntax: STARTTLS");
  if (!tls_available_) return send(454, "4.7.0", "TLS not available due to temporary reason");
  send(220, "2.0.0", "Ready to start TLS");
  emit(action::StartTls{});
  // Whatever the client pipelined behind STARTTLS arrived in plaintext and must never be
  // executed (CVE-2011-0411 class).
  in_.clear();
  in_pos_ = 0;
  phase_ = Phase::await_tls;
}

}  // namespace mailactor::protocol
