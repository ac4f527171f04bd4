// Wall-clock seconds since the epoch: what the queue and our Received: header record.
#pragma once

#include <chrono>
#include <cstdint>

namespace mailactor::storage {

inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mailactor::storage
