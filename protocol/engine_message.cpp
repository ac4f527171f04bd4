// Message content: DATA (dot-stuffed, ends on CRLF.CRLF only) and BDAT (RFC 3030, exact octet
// counts). Content streams out as MessageChunk actions between BeginMessage and EndMessage; a
// message that fails (size, bare newline, spool error) is aborted at once but its content is
// still read to its real end, so nothing of it is ever taken for a command.
#include <strings.h>
#include <algorithm>

#include "protocol/engine.hpp"

namespace mailactor::protocol {

std::optional<Reply> Engine::message_start_error() const {
  if (!txn_.active) return reply(503, "5.5.1", "Error: need MAIL command");
  if (txn_.rcpt_to.empty()) {
    if (txn_.rcpt_tried) return reply(554, "5.5.1", "Error: no valid recipients");
    return reply(503, "5.5.1", "Error: need RCPT command");
  }
  return std::nullopt;
}

void Engine::open_message() {
  Envelope env;
  env.helo = helo_;
  env.esmtp = esmtp_;
  env.mail_from = txn_.mail_from;
  env.rcpt_to = txn_.rcpt_to;
  env.params = txn_.params;
  env.auth_user = auth_user_;
  env.tls = tls_active_;
  env.chunked = txn_.bdat;
  txn_.message_open = true;
  txn_.size = 0;
  txn_.failure.reset();
  decoder_.reset();
  hops_.reset();
  bdat_newlines_.reset();
  emit(action::BeginMessage{std::move(env)});
}

void Engine::cmd_data(const Command& c) {
  if (!c.arg.empty()) return send(501, "5.5.4", "Syntax: DATA");
  if (auto error = message_start_error()) return send(*error);
  if (txn_.bdat) return send(503, "5.5.1", "Error: DATA cannot be mixed with BDAT");
  if (txn_.params.body == BodyType::binary_mime)
    return send(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT");
  open_message();
  send(354, "", "End data with <CR><LF>.<CR><LF>");
  phase_ = Phase::data;
}

void Engine::cmd_bdat(const Command& c) {
  std::string_view a = c.arg;
  size_t digits = 0;
  while (digits < a.size() && a[digits] >= '0' && a[digits] <= '9')
    ++digits;
  std::string_view rest = a.substr(digits);
  bool last = false;
  if (rest.size() == 5 && strncasecmp(rest.data(), " LAST", 5) == 0) {
    last = true;
  } else if (!rest.empty()) {
    digits = 0;
  }
  if (digits == 0 || digits > 18) return send(501, "5.5.4", "Syntax: BDAT count [LAST]");
  uint64_t count = 0;
  for (size_t i = 0; i < digits; ++i)
    count = count * 10 + static_cast<uint64_t>(a[i] - '0');

  // A refused BDAT still owns its octets: they are read and dropped, never parsed as commands.
  bdat_refusal_.reset();
  if (!esmtp_) {
    bdat_refusal_ = reply(503, "5.5.1", "Error: BDAT requires EHLO");
  } else if (auto error = message_start_error()) {
    bdat_refusal_ = *error;
  }
  if (!bdat_refusal_ && !txn_.bdat) {
    txn_.bdat = true;
    open_message();
  }
  bdat_chunk_size_ = count;
  bdat_remaining_ = count;
  bdat_last_ = last;
  phase_ = Phase::bdat;
}

// Checks each piece of content before it goes to the spool: a refused message is aborted at
// once (nothing of it is stored) and answered at the end of its data.
void Engine::add_content(std::string& chunk) {
  if (chunk.empty() || txn_.failure) return;
  txn_.size += chunk.size();
  if (txn_.size > cfg_.max_message_size)
    return fail_message(reply(552, "5.3.4", "Message size exceeds fixed maximum message size"));
  const bool binary = txn_.params.body == BodyType::binary_mime;
  if (txn_.bdat && !binary) bdat_newlines_.feed(chunk);
  if (cfg_.bare_newline == BareNewline::reject &&
      (decoder_.saw_bare_newline() || bdat_newlines_.found()))
    return fail_message(bare_newline_refusal());
  if (!binary && chunk.find('\0') != std::string::npos) {
    if (cfg_.nul_bytes == NulBytes::reject)
      return fail_message(reply(550, "5.6.0", "Message contains NUL characters"));
    strip_nul(chunk);
  }
  hops_.feed(chunk);
  if (cfg_.max_hops != 0 && hops_.hops() >= cfg_.max_hops)
    return fail_message(reply(554, "5.4.6",
                              "Too many hops (" + std::to_string(hops_.hops()) +
                                  " Received:/Delivered-To: header fields): mail loop"));
  if (!chunk.empty()) emit(action::MessageChunk{std::move(chunk)});
}

Reply Engine::bare_newline_refusal() {
  return reply(550, "5.6.0", "Message contains bare CR or LF");
}

void Engine::fail_message(Reply r) {
  if (txn_.failure) return;
  txn_.failure = std::move(r);
  if (txn_.message_open) {
    emit(action::AbortMessage{});
    txn_.message_open = false;
  }
}

void Engine::consume_data() {
  std::string chunk;
  std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
  in_pos_ += decoder_.decode(avail, chunk);
  add_content(chunk);
  if (decoder_.done()) end_message();
}

void Engine::consume_bdat() {
  size_t take = static_cast<size_t>(
      std::min<uint64_t>(bdat_remaining_, static_cast<uint64_t>(in_.size() - in_pos_)));
  if (!bdat_refusal_ && take > 0) {
    std::string chunk(in_.data() + in_pos_, take);
    add_content(chunk);
  }
  in_pos_ += take;
  bdat_remaining_ -= take;
  if (bdat_remaining_ > 0) return;
  phase_ = Phase::command;
  if (bdat_refusal_) {
    Reply r = std::move(*bdat_refusal_);
    bdat_refusal_.reset();
    return send(r);
  }
  if (bdat_last_ || txn_.failure) return end_message();
  send(250, "2.0.0", std::to_string(bdat_chunk_size_) + " octets received");
}

void Engine::end_message() {
  phase_ = Phase::command;
  if (cfg_.bare_newline == BareNewline::reject && bdat_newlines_.found_at_end())
    fail_message(bare_newline_refusal());
  if (txn_.failure) {
    Reply r = std::move(*txn_.failure);
    reset_transaction();
    return send(r);
  }
  emit(action::EndMessage{});
  phase_ = Phase::await_commit;
}

}  // namespace mailactor::protocol
