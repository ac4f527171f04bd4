#include "storage/routed_recipient.hpp"

namespace mailactor::storage {
namespace {

constexpr const char* kStateNames[] = {"pending", "inflight", "delivered", "failed",
                                       "expired", "held",     "bouncing"};

}  // namespace

const char* to_string(RecipientState s) {
  return kStateNames[static_cast<size_t>(s)];
}

std::optional<RecipientState> parse_recipient_state(const std::string& s) {
  for (size_t i = 0; i < std::size(kStateNames); ++i)
    if (s == kStateNames[i]) return static_cast<RecipientState>(i);
  return std::nullopt;
}

std::string reply_line(int code, const std::string& enhanced, const std::string& text,
                       const std::string& host) {
  std::string s = std::to_string(code);
  if (!enhanced.empty()) s += " " + enhanced;
  if (!text.empty()) s += " " + text;
  if (!host.empty()) s += " [" + host + "]";
  return s;
}

std::vector<RoutedRecipient> ingest_recipients(const std::vector<std::string>& rcpt_to) {
  std::vector<RoutedRecipient> out;
  for (const auto& r : rcpt_to)
    out.push_back({r, r, "ingest", "", "", ""});
  return out;
}

}  // namespace mailactor::storage
