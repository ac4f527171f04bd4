// Queue ids: unique across restarts and processes, sortable by arrival, safe as a file name.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mailactor::storage {

class QueueIdGenerator {
 public:
  // `node` tells processes apart (default: the pid); it ends up in every id.
  explicit QueueIdGenerator(uint32_t node);
  // <milliseconds since the epoch, 11 hex><counter, 6 hex><node, 4+ hex>: 21+ characters.
  std::string next();

 private:
  uint32_t node_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace mailactor::storage
