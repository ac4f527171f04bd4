#include "actors/limits/stress_policy.hpp"

#include <algorithm>
#include <map>

namespace mailactor::actors {

bool under_stress(size_t in_use, size_t max, unsigned percent, bool now_stressed) {
  if (max == 0 || percent == 0) return false;
  const size_t enter = (max * percent + 99) / 100;
  const size_t margin = std::max<size_t>(1, max / 10);
  if (now_stressed) return in_use + margin > enter;
  return in_use >= enter;
}

std::vector<uint64_t> pick_evictions(const std::vector<EvictionCandidate>& sessions,
                                     std::chrono::steady_clock::time_point now,
                                     std::chrono::milliseconds min_idle, size_t count) {
  // Per address, its evictable sessions, longest idle last (taken from the back).
  std::map<std::string, std::vector<const EvictionCandidate*>> by_address;
  for (const auto& s : sessions)
    if (!s.mail_started && now - s.idle_since >= min_idle) by_address[s.address].push_back(&s);
  for (auto& [address, list] : by_address)
    std::sort(list.begin(), list.end(),
              [](const auto* a, const auto* b) { return a->idle_since > b->idle_since; });
  std::vector<uint64_t> out;
  while (out.size() < count) {
    // The address holding the most; among equals, the one whose next session idles longest.
    auto most = by_address.end();
    for (auto it = by_address.begin(); it != by_address.end(); ++it) {
      if (it->second.empty()) continue;
      if (most == by_address.end() || it->second.size() > most->second.size() ||
          (it->second.size() == most->second.size() &&
           it->second.back()->idle_since < most->second.back()->idle_since))
        most = it;
    }
    if (most == by_address.end()) break;
    out.push_back(most->second.back()->key);
    most->second.pop_back();
  }
  return out;
}

}  // namespace mailactor::actors
