// Live sessions by what they do now, kept by the sessions themselves: each change of state is two
// relaxed atomic adds, so a view of all sessions (the live page, once a second) costs no message
// to any of them, however many there are.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>

namespace mailactor::actors {

class SessionCensus {
 public:
  // What a session does; the protocol engine's activity() names plus "tls" (handshaking).
  static constexpr std::array<const char*, 5> kStates = {"greeting", "command", "auth", "tls",
                                                         "data"};

  // A session moves from one state to another; nullptr: it starts, or it ends.
  void move(const char* from, const char* to) {
    if (from) counts_[index(from)].fetch_sub(1, std::memory_order_relaxed);
    if (to) counts_[index(to)].fetch_add(1, std::memory_order_relaxed);
  }

  std::array<int64_t, kStates.size()> counts() const {
    std::array<int64_t, kStates.size()> out{};
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = counts_[i].load(std::memory_order_relaxed);
    return out;
  }

 private:
  static size_t index(const char* state) {
    for (size_t i = 0; i < kStates.size(); ++i)
      if (std::strcmp(kStates[i], state) == 0) return i;
    return 1;  // an activity this list lacks counts as "command"
  }
  std::array<std::atomic<int64_t>, kStates.size()> counts_{};
};

// A session's place in the census for its lifetime: it leaves the census when it ends however it
// ends (closed, failed, killed).
class CensusEntry {
 public:
  CensusEntry() = default;
  CensusEntry(const CensusEntry&) = delete;
  CensusEntry& operator=(const CensusEntry&) = delete;
  ~CensusEntry() { set(nullptr); }

  void join(SessionCensus* census, const char* state) {
    census_ = census;
    set(state);
  }
  void set(const char* state) {
    if (!census_) return;
    census_->move(state_, state);
    state_ = state;
  }

 private:
  SessionCensus* census_ = nullptr;
  const char* state_ = nullptr;
};

}  // namespace mailactor::actors
