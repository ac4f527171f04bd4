#include "actors/delivery/delivery_log.hpp"

namespace mailactor::actors {
namespace {

const char* status_word(storage::RecipientState s) {
  switch (s) {
    case storage::RecipientState::delivered:
      return "sent";
    case storage::RecipientState::failed:
      return "bounced";
    case storage::RecipientState::expired:
      return "expired";
    default:
      return "deferred";
  }
}

}  // namespace

std::string delivery_log_line(const std::string& id, const storage::RoutedRecipient& routed,
                              int64_t attempts, const storage::DeliveryResult& result,
                              int64_t received_at, int64_t now) {
  std::string line = id + ": to=<" + routed.address + ">";
  if (!routed.original.empty() && routed.original != routed.address)
    line += ", orig_to=<" + routed.original + ">";
  line += ", route=" + routed.route;
  if (!result.host.empty()) line += ", relay=" + result.host;
  line += ", delay=" + std::to_string(now > received_at ? now - received_at : 0);
  line += ", attempts=" + std::to_string(attempts);
  if (!result.enhanced.empty()) line += ", dsn=" + result.enhanced;
  line += std::string(", status=") + status_word(result.state) + " (" +
          storage::reply_line(result.code, result.enhanced, result.text, "") + ")";
  return line;
}

}  // namespace mailactor::actors
