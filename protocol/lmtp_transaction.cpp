#include "protocol/lmtp_transaction.hpp"

namespace mailactor::protocol {

LmtpTransaction::LmtpTransaction(std::string mail_from, std::vector<std::string> recipients)
    : mail_from_(std::move(mail_from)),
      recipients_(std::move(recipients)),
      results_(recipients_.size()) {
  if (recipients_.empty()) stage_ = Stage::done;
}

std::string LmtpTransaction::commands() const {
  std::string out = "MAIL FROM:<" + mail_from_ + ">\r\n";
  for (const auto& r : recipients_)
    out += "RCPT TO:<" + r + ">\r\n";
  return out + "DATA\r\n";
}

void LmtpTransaction::settle_open(const Reply& r) {
  for (auto& result : results_)
    if (!result) result = r;
}

LmtpTransaction::Next LmtpTransaction::on_reply(const Reply& r) {
  switch (stage_) {
    case Stage::mail:
      if (r.code / 100 != 2) mail_refusal_ = r;
      stage_ = Stage::rcpt;
      return Next::read_reply;
    case Stage::rcpt:
      if (mail_refusal_)
        results_[next_rcpt_] = *mail_refusal_;
      else if (r.code / 100 == 2)  // only a 2xx accepts: a 3xx or a code past 5xx does not
        accepted_.push_back(next_rcpt_);
      else
        results_[next_rcpt_] = r;
      if (++next_rcpt_ == recipients_.size()) stage_ = Stage::data;
      return Next::read_reply;
    case Stage::data:
      if (r.code == 354 && !accepted_.empty()) {
        stage_ = Stage::after_data;
        return Next::send_content;
      }
      // 354 without an accepted recipient: the content is not sent and the connection is spent.
      unusable_ = r.code == 354;
      settle_open(unusable_ ? reply(451, "4.5.0", "DATA accepted without recipients") : r);
      stage_ = Stage::done;
      return Next::done;
    case Stage::after_data:
      results_[accepted_[next_accepted_]] = r;
      if (++next_accepted_ < accepted_.size()) return Next::read_reply;
      stage_ = Stage::done;
      return Next::done;
    case Stage::done:
      break;
  }
  return Next::done;
}

}  // namespace mailactor::protocol
