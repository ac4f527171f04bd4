#include "storage/queue_id.hpp"

#include <chrono>
#include <cstdio>

namespace mailactor::storage {

QueueIdGenerator::QueueIdGenerator(uint32_t node) : node_(node) {}

std::string QueueIdGenerator::next() {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  uint64_t n = counter_.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFF;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%011llX%06llX%04X", static_cast<unsigned long long>(ms),
                static_cast<unsigned long long>(n), node_);
  return buf;
}

}  // namespace mailactor::storage
