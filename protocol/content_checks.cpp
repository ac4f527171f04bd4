#include "protocol/content_checks.hpp"

#include <algorithm>
#include <cctype>

namespace mailactor::protocol {
namespace {
constexpr size_t kLongestCountedName = 12;  // "delivered-to"
}  // namespace

void HopCounter::end_of_name() {
  if (name_ == "received") ++received_;
  if (name_ == "delivered-to") ++delivered_to_;
  reading_name_ = false;
}

void HopCounter::feed(std::string_view content) {
  for (char c : content) {
    if (!in_header_) return;
    if (c == '\n') {
      if (line_empty_) in_header_ = false;  // the empty line ends the header section
      line_empty_ = true;
      reading_name_ = true;
      name_.clear();
      continue;
    }
    if (c != '\r') line_empty_ = false;
    if (!reading_name_ || c == '\r') continue;
    if (c == ':') {
      end_of_name();
    } else if (name_.size() < kLongestCountedName) {
      name_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      reading_name_ = false;  // longer than any name counted
    }
  }
}

void BareNewlineScanner::feed(std::string_view content) {
  for (char c : content) {
    if (last_was_cr_ && c != '\n') found_ = true;
    if (c == '\n' && !last_was_cr_) found_ = true;
    last_was_cr_ = c == '\r';
  }
}

bool strip_nul(std::string& content) {
  auto end = std::remove(content.begin(), content.end(), '\0');
  if (end == content.end()) return false;
  content.erase(end, content.end());
  return true;
}

}  // namespace mailactor::protocol
