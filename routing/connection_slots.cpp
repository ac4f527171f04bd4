#include "routing/connection_slots.hpp"

namespace mailactor::routing {

ConnectionSlots::ConnectionSlots(size_t slots, size_t per_destination)
    : last_(slots), busy_(slots, false), per_destination_(per_destination) {}

std::optional<size_t> ConnectionSlots::take(const std::string& destination) {
  if (busy(destination) >= per_destination_) return std::nullopt;
  // Best first: its connection is open to the destination; then one with none open; then any.
  std::optional<size_t> pick;
  int best = -1;
  for (size_t i = 0; i < busy_.size(); ++i) {
    if (busy_[i]) continue;
    int score = last_[i] == destination ? 2 : last_[i].empty() ? 1 : 0;
    if (score > best) {
      best = score;
      pick = i;
    }
  }
  if (!pick) return std::nullopt;
  busy_[*pick] = true;
  last_[*pick] = destination;
  ++active_[destination];
  return pick;
}

void ConnectionSlots::release(size_t slot) {
  if (slot >= busy_.size() || !busy_[slot]) return;
  busy_[slot] = false;
  auto it = active_.find(last_[slot]);
  if (it != active_.end() && --it->second == 0) active_.erase(it);
}

size_t ConnectionSlots::busy(const std::string& destination) const {
  auto it = active_.find(destination);
  return it == active_.end() ? 0 : it->second;
}

void ConnectionSlots::back_off(const std::string& destination, int64_t until, std::string why) {
  backoff_[destination] = {until, std::move(why)};
}

std::optional<std::string> ConnectionSlots::backed_off(const std::string& destination,
                                                       int64_t now) {
  auto it = backoff_.find(destination);
  if (it == backoff_.end()) return std::nullopt;
  if (it->second.first <= now) {
    backoff_.erase(it);
    return std::nullopt;
  }
  return it->second.second;
}

}  // namespace mailactor::routing
