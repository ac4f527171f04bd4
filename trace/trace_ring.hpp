// The tracer's memory: the traces of the most recent messages, bounded in messages and in events
// per message. Parts of one message arrive from different actors in any order (a delivery can be
// reported before the session's part): they are merged by id and read in time order.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "trace/trace.hpp"

namespace mailactor::trace {

struct RingLimits {
  size_t messages = 5000;          // the oldest message is forgotten past this
  size_t events_per_message = 64;  // later events are counted, not kept
  size_t detail_bytes = 300;       // an event's detail is cut here
};

class Ring {
 public:
  explicit Ring(RingLimits limits = {});

  // Merges a part into its message's trace (made when new).
  void add(Record part);
  // The same event for several messages (a group commit).
  void add(const std::vector<std::string>& ids, const Event& e);

  // The message's trace with its events in time order, or null.
  const Record* find(const std::string& id) const;
  // Messages whose id, sender, a recipient or client contains `text` (case-insensitive), newest
  // first, at most `limit`; with empty text, the newest.
  std::vector<const Record*> search(std::string_view text, size_t limit) const;

  size_t size() const { return by_id_.size(); }
  uint64_t forgotten() const { return forgotten_; }

 private:
  Record& record_for(const std::string& id);
  void append(Record& r, Event e);

  RingLimits limits_;
  std::unordered_map<std::string, Record> by_id_;
  std::deque<std::string> order_;  // first seen, oldest first
  uint64_t forgotten_ = 0;
};

}  // namespace mailactor::trace
