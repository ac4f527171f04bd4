#include "actors/session/spool_transaction.hpp"

#include <algorithm>

#include "protocol/received.hpp"

namespace mailactor::actors {

std::string mail_params_text(const protocol::MailParams& p) {
  std::string text;
  auto add = [&](const std::string& param) { text += (text.empty() ? "" : " ") + param; };
  if (p.size) add("SIZE=" + std::to_string(*p.size));
  if (p.body != protocol::BodyType::unspecified) add(std::string("BODY=") + to_string(p.body));
  if (p.smtputf8) add("SMTPUTF8");
  if (!p.ret.empty()) add("RET=" + p.ret);
  if (!p.envid.empty()) add("ENVID=" + p.envid);  // xtext: no space in it
  return text;
}

void SpoolTransaction::ticket(std::string queue_id, bool remote) {
  queue_id_ = std::move(queue_id);
  remote_ = remote;
}

bool SpoolTransaction::begin(const protocol::Envelope& env, const MessageOrigin& origin,
                             int64_t unix_now) {
  if (queue_id_.empty()) return false;
  open_ = true;
  ending_ = false;
  started_ = Clock::now();
  meta_ = storage::MessageMeta{};
  meta_.id = queue_id_;
  meta_.mail_from = env.mail_from;
  meta_.rcpt_to = env.rcpt_to;
  meta_.helo = env.helo;
  meta_.client_addr = origin.client_addr;
  meta_.client_port = origin.client_port;
  meta_.listener = origin.listener;
  meta_.auth_user = env.auth_user;
  meta_.protocol = env.with_protocol();
  meta_.params = mail_params_text(env.params);
  meta_.tls_protocol = origin.tls_protocol;
  meta_.tls_cipher = origin.tls_cipher;
  protocol::ReceivedInfo info;
  info.tls_protocol = origin.tls_protocol;
  info.tls_cipher = origin.tls_cipher;
  info.client_ip = origin.client_addr;
  info.hostname = origin.hostname;
  info.queue_id = queue_id_;
  info.unix_time = unix_now;
  content_ = protocol::received_header(env, info);
  return true;
}

void SpoolTransaction::add(std::string_view bytes) {
  if (open_) content_.append(bytes);
}

std::optional<SpoolTransaction::Request> SpoolTransaction::next(size_t chunk, Clock::time_point now,
                                                                int64_t unix_now) {
  if (!open_ || busy_) return std::nullopt;
  if (!ending_ && content_.size() < chunk) return std::nullopt;
  busy_ = true;
  Request r{Request::Kind::fail_now, ending_, generation_, 0, queue_id_, {}, {}, {}};
  if (lost_) return r;
  request_open_ = true;
  request_sent_ = now;
  r.seq = ++request_seq_;
  r.content = std::move(content_);
  content_ = std::string();
  if (ending_) {
    r.kind = Request::Kind::commit;
    meta_.received_at = unix_now;
    r.meta = meta_;
    r.recipients = recipients_;
  } else {
    r.kind = Request::Kind::append;
    written_ = true;
  }
  return r;
}

bool SpoolTransaction::claim_answer(uint64_t seq) {
  if (!request_open_ || request_seq_ != seq) return false;
  request_open_ = false;
  return true;
}

SpoolTransaction::Outcome SpoolTransaction::answer(uint64_t generation, bool commit,
                                                   const spool_reply& r) {
  Outcome o;
  if (generation != generation_) return o;  // aborted meanwhile
  busy_ = false;
  o.queue_id = queue_id_;
  o.reply = r;
  if (r.ok && !commit)
    o.kind = Outcome::Kind::appended;
  else if (r.ok)
    o.kind = Outcome::Kind::queued;
  else
    o.kind = Outcome::Kind::failed;
  return o;
}

bool SpoolTransaction::give_up() {
  if (!request_open_) return false;
  request_open_ = false;
  return true;
}

bool SpoolTransaction::overdue(Clock::time_point now, std::chrono::seconds limit) const {
  return request_open_ && now - request_sent_ >= limit;
}

void SpoolTransaction::reset() {
  queue_id_.clear();
  remote_ = false;
  lost_ = false;
  open_ = false;
  ending_ = false;
  written_ = false;
  content_.clear();
  recipients_.clear();
  ++generation_;
}

void SpoolTransaction::add_recipients(const std::string& original,
                                      const std::vector<storage::RoutedRecipient>& finals,
                                      const protocol::RcptParams& dsn) {
  for (auto f : finals) {
    auto same = [&](const storage::RoutedRecipient& r) {
      return r.address == f.address && r.route == f.route && r.target == f.target;
    };
    if (std::find_if(recipients_.begin(), recipients_.end(), same) != recipients_.end()) continue;
    f.original = original;
    f.notify = dsn.notify;
    f.orcpt = dsn.orcpt;
    recipients_.push_back(std::move(f));
  }
}

}  // namespace mailactor::actors
