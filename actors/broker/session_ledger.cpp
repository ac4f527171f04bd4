#include "actors/broker/session_ledger.hpp"

namespace mailactor::actors {

SessionLedger::SessionLedger(size_t max_sessions, const std::vector<ListenerLimits>& limits)
    : max_sessions_(max_sessions) {
  listeners_.reserve(limits.size());
  for (const auto& l : limits)
    listeners_.push_back(PerListener{l, RateLimiter(l.max_connection_rate_per_ip), 0, {}});
}

std::shared_ptr<SessionLedger> SessionLedger::for_brokers(const BrokerSettings& settings) {
  std::vector<ListenerLimits> limits;
  for (const auto& l : settings.listeners)
    limits.push_back(l.limits);
  return std::make_shared<SessionLedger>(settings.max_sessions, limits);
}

bool SessionLedger::hold(size_t listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  PerListener& l = listeners_.at(listener);
  if (in_use_ >= max_sessions_) return false;
  if (l.limits.max_sessions > 0 && l.in_use >= l.limits.max_sessions) return false;
  ++in_use_;
  ++l.in_use;
  return true;
}

void SessionLedger::unhold(size_t listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  --in_use_;
  --listeners_.at(listener).in_use;
}

SessionLedger::Refusal SessionLedger::admit(size_t listener, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  PerListener& l = listeners_.at(listener);
  Refusal r = Refusal::none;
  if (!l.rate.allow(address)) {
    r = Refusal::rate;
  } else {
    size_t& from_address = l.per_address[address];
    if (from_address < l.limits.max_sessions_per_ip) {
      ++from_address;
      return Refusal::none;
    }
    if (from_address == 0) l.per_address.erase(address);
    r = Refusal::per_ip;
  }
  --l.in_use;
  --in_use_;
  return r;
}

void SessionLedger::give_back(size_t listener, const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  PerListener& l = listeners_.at(listener);
  --l.in_use;
  --in_use_;
  auto it = l.per_address.find(address);
  if (it != l.per_address.end() && --it->second == 0) l.per_address.erase(it);
}

size_t SessionLedger::in_use() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}

bool SessionLedger::full() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_ >= max_sessions_;
}

bool SessionLedger::full(size_t listener) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const PerListener& l = listeners_.at(listener);
  return l.limits.max_sessions > 0 && l.in_use >= l.limits.max_sessions;
}

size_t SessionLedger::in_use(size_t listener) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return listeners_.at(listener).in_use;
}

}  // namespace mailactor::actors
