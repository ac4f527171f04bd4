// Failed AUTH attempts counted across connections: per client address and per network (/24 for
// IPv4, /64 for IPv6, where one attacker's addresses sit together). Past a budget within the
// window, AUTH from there is refused without asking the backend until the lockout ends. The
// per-session tarpit and max_failures cannot see ten parallel sessions; this can. Memory is
// bounded whatever the number of addresses: at most `max_tracked` keys, the least recently
// failing forgotten first. Plain C++, used inside the auth front (not thread-safe).
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "routing/networks.hpp"

namespace mailactor::auth {

struct AuthBudgetSettings {
  size_t per_address = 10;  // failures within `window` that lock one address out; 0 = off
  size_t per_network = 30;  // ... that lock its /24 or /64 out; 0 = off
  std::chrono::seconds window{600};
  std::chrono::seconds lockout{900};
  size_t max_tracked = 20000;                       // keys (addresses and networks) kept at most
  std::shared_ptr<const routing::Networks> exempt;  // trusted networks: never counted
};

class AuthBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit AuthBudget(AuthBudgetSettings s) : s_(std::move(s)) {}

  // The address or network that is locked out now ("192.0.2.7", "192.0.2.0/24"), or "".
  std::string locked(const std::string& address, Clock::time_point now = Clock::now()) const;
  // One failed attempt from `address`.
  void failed(const std::string& address, Clock::time_point now = Clock::now());
  size_t tracked() const { return entries_.size(); }
  size_t locked_count(Clock::time_point now = Clock::now()) const;

 private:
  struct Entry {
    size_t failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
    std::list<std::string>::iterator lru;  // its place in recent_, most recent first
  };
  void count(const std::string& key, size_t limit, Clock::time_point now);
  bool exempt(const std::string& address) const;

  AuthBudgetSettings s_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> recent_;
};

// "192.0.2.0/24" for an IPv4 address (IPv4-mapped IPv6 included), "2001:db8:1:2::/64" for IPv6,
// "" for anything else.
std::string network_of(const std::string& address);

}  // namespace mailactor::auth
