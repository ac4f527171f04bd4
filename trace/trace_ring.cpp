#include "trace/trace_ring.hpp"

#include <algorithm>
#include <cctype>

namespace mailactor::trace {

namespace {

bool contains_folded(std::string_view hay, std::string_view needle) {
  auto fold = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), fold) != hay.end();
}

bool matches(const Record& r, std::string_view text) {
  if (contains_folded(r.id, text) || contains_folded(r.mail_from, text) ||
      contains_folded(r.client, text))
    return true;
  return std::any_of(r.rcpt.begin(), r.rcpt.end(),
                     [&](const std::string& a) { return contains_folded(a, text); });
}

}  // namespace

Ring::Ring(RingLimits limits) : limits_(limits) {}

Record& Ring::record_for(const std::string& id) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return it->second;
  while (!order_.empty() && by_id_.size() >= std::max<size_t>(limits_.messages, 1)) {
    by_id_.erase(order_.front());
    order_.pop_front();
    ++forgotten_;
  }
  order_.push_back(id);
  Record& r = by_id_[id];
  r.id = id;
  return r;
}

// Kept in time order as they come: parts arrive nearly in order, so this is mostly an append.
void Ring::append(Record& r, Event e) {
  if (r.events.size() >= limits_.events_per_message) {
    ++r.events_dropped;
    return;
  }
  if (e.detail.size() > limits_.detail_bytes) e.detail.resize(limits_.detail_bytes);
  auto at = std::upper_bound(r.events.begin(), r.events.end(), e.at_us,
                             [](int64_t t, const Event& x) { return t < x.at_us; });
  r.events.insert(at, std::move(e));
}

void Ring::add(Record part) {
  if (limits_.messages == 0) return;
  Record& r = record_for(part.id);
  if (!part.client.empty()) {
    r.mail_from = std::move(part.mail_from);
    r.rcpt = std::move(part.rcpt);
    r.client = std::move(part.client);
  }
  r.events_dropped += part.events_dropped;
  for (auto& e : part.events)
    append(r, std::move(e));
}

void Ring::add(const std::vector<std::string>& ids, const Event& e) {
  if (limits_.messages == 0) return;
  for (const auto& id : ids)
    append(record_for(id), e);
}

const Record* Ring::find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

std::vector<const Record*> Ring::search(std::string_view text, size_t limit) const {
  std::vector<const Record*> out;
  for (auto it = order_.rbegin(); it != order_.rend() && out.size() < limit; ++it) {
    const Record& r = by_id_.at(*it);
    if (text.empty() || matches(r, text)) out.push_back(&r);
  }
  return out;
}

}  // namespace mailactor::trace
