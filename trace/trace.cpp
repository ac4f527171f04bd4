#include "trace/trace.hpp"

#include <chrono>

namespace mailactor::trace {

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ms_text(uint64_t us) {
  return std::to_string(us / 1000) + "." + std::to_string(us / 100 % 10) + " ms";
}

}  // namespace mailactor::trace
