// What every broker counts against the session limits, shared by the brokers of all I/O threads
// ([server] io_threads): sessions in use server-wide and per listener, per client address, and
// the connection rate per address. One mutex guards it; it is taken once per admission and once
// per ended connection, never on the data path. With one I/O thread it is the broker's alone.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/limits/rate_limiter.hpp"
#include "actors/settings.hpp"

namespace mailactor::actors {

class SessionLedger {
 public:
  enum class Refusal { none, rate, per_ip };

  // `limits` in the order of BrokerSettings::listeners; a listener is named by its index there.
  SessionLedger(size_t max_sessions, const std::vector<ListenerLimits>& limits);
  // For the listeners and limits of `settings` (its own ledger field is not read).
  static std::shared_ptr<SessionLedger> for_brokers(const BrokerSettings& settings);

  // A slot for a new connection of `listener`, unless the server or the listener is at its
  // max_sessions (checked and taken at once: brokers on other I/O threads take slots too). A
  // connection holds it from accept on, also while its PROXY header is awaited.
  bool hold(size_t listener);
  void unhold(size_t listener);

  // Checks the rate and per-address limits for the client of a held slot: when it may go on, its
  // address is counted until give_back; when not, the slot is given up.
  Refusal admit(size_t listener, const std::string& address);
  void give_back(size_t listener, const std::string& address);  // an admitted connection ended

  size_t in_use() const;
  bool full() const;                 // server-wide max_sessions reached
  bool full(size_t listener) const;  // the listener's own max_sessions reached
  size_t in_use(size_t listener) const;

 private:
  struct PerListener {
    ListenerLimits limits;
    RateLimiter rate;
    size_t in_use = 0;
    std::unordered_map<std::string, size_t> per_address;
  };

  mutable std::mutex mutex_;
  size_t max_sessions_;
  size_t in_use_ = 0;
  std::vector<PerListener> listeners_;
};

}  // namespace mailactor::actors
