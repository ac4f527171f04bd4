// Stress: what the broker does when idle connections fill the session table (the connection-
// exhaustion attack: connect, say nothing, hold the slot). Plain C++, unit-tested.
//
// Postfix answers it with shorter timeouts and tighter error limits while all slots are busy
// (STRESS_README); mailactor does that too and, when the table is full and clients wait in the
// kernel's backlog, ends idle sessions to make room: never one that has sent MAIL, the longest
// idle first, from the address holding the most of them first.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailactor::actors {

// Whether a table with `in_use` of `max` sessions is under stress: entered at `percent` of max,
// left again below `percent` minus a tenth of max (so it does not flap at the mark).
bool under_stress(size_t in_use, size_t max, unsigned percent, bool now_stressed);

struct EvictionCandidate {
  uint64_t key;                                      // the caller's handle for the session
  std::string address;                               // the client's
  std::chrono::steady_clock::time_point idle_since;  // its last input
  bool mail_started = false;                         // it sent MAIL at some point: never evicted
};

// Up to `count` sessions to end, in order: only sessions idle for at least `min_idle` that never
// sent MAIL; the address holding the most such sessions gives up its longest idle one first.
std::vector<uint64_t> pick_evictions(const std::vector<EvictionCandidate>& sessions,
                                     std::chrono::steady_clock::time_point now,
                                     std::chrono::milliseconds min_idle, size_t count);

}  // namespace mailactor::actors
