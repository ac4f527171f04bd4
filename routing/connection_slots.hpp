// Which outbound connection a relay job runs on: a fixed set of slots (one relay target actor,
// and so at most one open connection, each), at most `per_destination` busy for one destination,
// a slot whose connection is already open to the job's destination preferred (reuse), and
// destinations that could not be reached backed off as a whole. Plain C++ bookkeeping for the
// deliverer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mailactor::routing {

class ConnectionSlots {
 public:
  ConnectionSlots(size_t slots, size_t per_destination);

  // A free slot for a job to `destination`, now marked busy; none when every slot is busy or
  // the destination has its share.
  std::optional<size_t> take(const std::string& destination);
  void release(size_t slot);
  size_t busy(const std::string& destination) const;

  void back_off(const std::string& destination, int64_t until, std::string why);
  // Why `destination` is not to be tried before then, while it is backed off at `now`.
  std::optional<std::string> backed_off(const std::string& destination, int64_t now);

 private:
  std::vector<std::string> last_;  // each slot's last destination (its open connection)
  std::vector<bool> busy_;
  std::map<std::string, size_t> active_;
  std::map<std::string, std::pair<int64_t, std::string>> backoff_;
  size_t per_destination_;
};

}  // namespace mailactor::routing
