// Load figures an actor keeps in its own state and reports through get_stats: how many
// messages it handled, how long its handlers ran, and latency histograms. CAF 0.17's actor
// profiler is compiled out of Debian's libcaf, so each actor times its own handlers.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mailactor::actors {

struct HandlerMeter {
  uint64_t handled = 0;
  uint64_t busy_us = 0;
};

// Put at the top of a handler: counts the message and the time until the handler returns.
class HandlerClock {
 public:
  explicit HandlerClock(HandlerMeter& m) : meter_(m), start_(std::chrono::steady_clock::now()) {}
  ~HandlerClock() {
    ++meter_.handled;
    meter_.busy_us += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::steady_clock::now() - start_)
                                                .count());
  }
  HandlerClock(const HandlerClock&) = delete;
  HandlerClock& operator=(const HandlerClock&) = delete;

 private:
  HandlerMeter& meter_;
  std::chrono::steady_clock::time_point start_;
};

// Fixed bucket bounds, so histograms from many actors and processes add up.
inline constexpr std::array<uint64_t, 17> kLatencyBoundsUs = {
    50,    100,    250,    500,    1000,    2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

struct LatencyHistogram {
  std::array<uint64_t, kLatencyBoundsUs.size() + 1> counts{};  // the last one: above all bounds
  uint64_t sum_us = 0;

  void observe_us(uint64_t us) {
    size_t i = 0;
    while (i < kLatencyBoundsUs.size() && us > kLatencyBoundsUs[i])
      ++i;
    ++counts[i];
    sum_us += us;
  }
  void observe(std::chrono::steady_clock::duration d) {
    observe_us(
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
  }
};

}  // namespace mailactor::actors
