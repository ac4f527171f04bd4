#include "protocol/reply_parser.hpp"

#include <cctype>

namespace mailactor::protocol {
namespace {
constexpr size_t kMaxReplyLine = 4096;
constexpr size_t kMaxReplyLines = 256;  // an EHLO reply has a few dozen
}  // namespace

bool split_enhanced_status(std::string_view text, std::string& status, std::string& rest) {
  // class "." subject "." detail, class in {2,4,5}, 1-3 digits each.
  size_t i = 0;
  if (text.empty() || (text[0] != '2' && text[0] != '4' && text[0] != '5')) return false;
  if (text.size() < 2 || text[1] != '.') return false;
  i = 2;
  for (int part = 0; part < 2; ++part) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && i - start < 3)
      ++i;
    if (i == start) return false;
    if (part == 0) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  if (i < text.size() && text[i] != ' ') return false;
  status.assign(text.substr(0, i));
  rest.assign(i < text.size() ? text.substr(i + 1) : std::string_view{});
  return true;
}

bool ReplyParser::feed(std::string_view bytes) {
  if (failed_) return false;
  buf_.append(bytes.data(), bytes.size());
  size_t pos = 0;
  while (true) {
    size_t lf = buf_.find('\n', pos);
    if (lf == std::string::npos) break;
    std::string_view l(buf_.data() + pos, lf - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    pos = lf + 1;
    if (!line(l)) {
      failed_ = true;
      return false;
    }
  }
  buf_.erase(0, pos);
  if (buf_.size() > kMaxReplyLine) failed_ = true;
  return !failed_;
}

bool ReplyParser::line(std::string_view l) {
  if (l.size() < 3) return false;
  for (int i = 0; i < 3; ++i)
    if (!std::isdigit(static_cast<unsigned char>(l[i]))) return false;
  int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
  bool more = l.size() > 3 && l[3] == '-';
  if (l.size() > 3 && l[3] != '-' && l[3] != ' ') return false;
  std::string_view text = l.size() > 4 ? l.substr(4) : std::string_view{};
  if (partial_ && partial_->code != code) return false;
  if (!partial_) partial_ = Reply{code, "", {}};
  std::string status, rest;
  if (split_enhanced_status(text, status, rest)) {
    partial_->status = status;
    partial_->lines.push_back(rest);
  } else {
    partial_->lines.emplace_back(text);
  }
  // A hostile server's endless multi-line reply must not grow without bound.
  if (partial_->lines.size() > kMaxReplyLines) return false;
  if (!more) {
    ready_.push_back(std::move(*partial_));
    partial_.reset();
  }
  return true;
}

std::optional<Reply> ReplyParser::next() {
  if (ready_.empty()) return std::nullopt;
  Reply r = std::move(ready_.front());
  ready_.pop_front();
  return r;
}

}  // namespace mailactor::protocol
