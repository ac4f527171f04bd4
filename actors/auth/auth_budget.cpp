#include "actors/auth/auth_budget.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace mailactor::auth {

std::string network_of(const std::string& address) {
  in_addr v4{};
  in6_addr v6{};
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) {
    v4.s_addr &= htonl(0xffffff00u);
  } else if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      std::memcpy(&v4, &v6.s6_addr[12], 4);
      v4.s_addr &= htonl(0xffffff00u);
    } else {
      std::memset(&v6.s6_addr[8], 0, 8);
      if (!inet_ntop(AF_INET6, &v6, text, sizeof text)) return {};
      return std::string(text) + "/64";
    }
  } else {
    return {};
  }
  if (!inet_ntop(AF_INET, &v4, text, sizeof text)) return {};
  return std::string(text) + "/24";
}

bool AuthBudget::exempt(const std::string& address) const {
  return s_.exempt && s_.exempt->contains(address);
}

std::string AuthBudget::locked(const std::string& address, Clock::time_point now) const {
  if (exempt(address)) return {};
  for (const std::string& key : {address, network_of(address)}) {
    auto it = entries_.find(key);
    if (it != entries_.end() && it->second.locked_until > now) return key;
  }
  return {};
}

void AuthBudget::failed(const std::string& address, Clock::time_point now) {
  if (exempt(address)) return;
  count(address, s_.per_address, now);
  if (std::string net = network_of(address); !net.empty()) count(net, s_.per_network, now);
}

void AuthBudget::count(const std::string& key, size_t limit, Clock::time_point now) {
  if (limit == 0 || s_.max_tracked == 0) return;
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= s_.max_tracked) {  // forget the one that failed least recently
      entries_.erase(recent_.back());
      recent_.pop_back();
    }
    recent_.push_front(key);
    it = entries_.emplace(key, Entry{0, now, {}, recent_.begin()}).first;
  } else {
    recent_.splice(recent_.begin(), recent_, it->second.lru);
  }
  Entry& e = it->second;
  if (now - e.window_start > s_.window) {
    e.failures = 0;
    e.window_start = now;
  }
  if (++e.failures >= limit) e.locked_until = now + s_.lockout;
}

size_t AuthBudget::locked_count(Clock::time_point now) const {
  size_t n = 0;
  for (const auto& [key, e] : entries_)
    n += e.locked_until > now ? 1 : 0;
  return n;
}

}  // namespace mailactor::auth
