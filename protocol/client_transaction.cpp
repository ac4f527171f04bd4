#include "protocol/client_transaction.hpp"

#include <utility>

namespace mailactor::protocol {

ClientTransaction::ClientTransaction(std::string mail_from, std::vector<std::string> recipients,
                                     TransactionOptions options)
    : mail_from_(std::move(mail_from)),
      recipients_(std::move(recipients)),
      options_(std::move(options)),
      results_(recipients_.size()) {
  if (recipients_.empty()) stage_ = Stage::done;
}

std::string ClientTransaction::commands() const {
  std::string out = "MAIL FROM:<" + mail_from_ + ">" + options_.mail_params + "\r\n";
  if (!options_.pipelining) return out;
  for (size_t i = 0; i < recipients_.size(); ++i)
    out += rcpt_command(i);
  return out + "DATA\r\n";
}

std::string ClientTransaction::rcpt_command(size_t i) const {
  const std::string params = i < options_.rcpt_params.size() ? options_.rcpt_params[i] : "";
  return "RCPT TO:<" + recipients_[i] + ">" + params + "\r\n";
}

void ClientTransaction::settle_open(const Reply& r) {
  for (auto& result : results_)
    if (!result) result = r;
}

ClientTransaction::Next ClientTransaction::finish(const Reply& settle_with) {
  settle_open(settle_with);
  stage_ = Stage::done;
  return Next::done;
}

// The last RCPT's reply is in: DATA (already sent when pipelining), or nothing to send.
ClientTransaction::Next ClientTransaction::after_rcpt() {
  stage_ = Stage::data;
  if (options_.pipelining) return Next::read_reply;
  if (accepted_.empty()) return finish(reply(554, "5.5.0", "no recipient accepted"));
  command_ = "DATA\r\n";
  return Next::read_reply;
}

ClientTransaction::Next ClientTransaction::desync(const char* step, const Reply& r) {
  protocol_error_ = true;
  unusable_ = true;
  return finish(
      reply(451, "4.5.0",
            std::string("protocol error: unexpected reply to ") + step + ": " + r.summary()));
}

ClientTransaction::Next ClientTransaction::on_content_reply(const Reply& r) {
  if (!is_final_reply(r)) return desync("the end of data", r);
  if (!options_.lmtp) {  // SMTP: one reply for every accepted recipient
    for (size_t i : accepted_)
      results_[i] = r;
    completed_ = true;
    stage_ = Stage::done;
    return Next::done;
  }
  results_[accepted_[next_accepted_]] = r;
  if (++next_accepted_ < accepted_.size()) return Next::read_reply;
  completed_ = true;
  stage_ = Stage::done;
  return Next::done;
}

ClientTransaction::Next ClientTransaction::on_reply(const Reply& r) {
  switch (stage_) {
    case Stage::mail:
      if (!is_final_reply(r)) return desync("MAIL", r);
      if (r.code / 100 != 2) {
        mail_refusal_ = r;
        if (!options_.pipelining) return finish(r);
      }
      stage_ = Stage::rcpt;
      if (!options_.pipelining) command_ = rcpt_command(0);
      return Next::read_reply;
    case Stage::rcpt:
      if (!is_final_reply(r)) return desync("RCPT", r);
      if (mail_refusal_)
        results_[next_rcpt_] = *mail_refusal_;
      else if (r.code / 100 == 2)
        accepted_.push_back(next_rcpt_);
      else
        results_[next_rcpt_] = r;
      if (++next_rcpt_ == recipients_.size()) return after_rcpt();
      if (!options_.pipelining) command_ = rcpt_command(next_rcpt_);
      return Next::read_reply;
    case Stage::data:
      if (r.code == 354 && !accepted_.empty()) {
        stage_ = Stage::after_data;
        return Next::send_content;
      }
      // 354 without an accepted recipient: the content is not sent and the connection is spent.
      if (r.code == 354) {
        unusable_ = true;
        return finish(reply(451, "4.5.0", "DATA accepted without recipients"));
      }
      // Only a refusal settles the recipients: a 250 to DATA has received no content.
      if (!is_final_reply(r) || r.code / 100 == 2) return desync("DATA", r);
      return finish(r);
    case Stage::after_data:
      return on_content_reply(r);
    case Stage::done:
      break;
  }
  return Next::done;
}

}  // namespace mailactor::protocol
