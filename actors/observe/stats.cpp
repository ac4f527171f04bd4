#include "actors/observe/stats.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>
#include <memory>

namespace mailactor::actors {
namespace {

using watch_atom = caf::atom_constant<caf::atom("watch")>;

constexpr auto kAskTimeout = std::chrono::seconds(2);

struct StatsState {
  static inline const char* name = "stats";
  std::shared_ptr<const SessionCensus> census;  // live sessions by state, without asking them
  std::map<std::string, uint64_t> counters;     // pushed by sessions when they end
  std::vector<caf::actor> watched;
  std::vector<caf::actor> brokers;  // list the live sessions, one per I/O thread
  uint64_t session_mailbox_high_water = 0;
  size_t slowest = 5;           // sessions listed by time in their current state
  uint64_t sessions_asked = 0;  // get_stats requests sent to sessions: what full collections cost
};

using StatsImpl = stats_actor::extend<caf::reacts_to<watch_atom, caf::actor>,
                                      caf::reacts_to<watch_atom, list_atom, caf::actor>>;
using Self = StatsImpl::stateful_pointer<StatsState>;

// One get_stats in progress: answers from the watched actors and from every live session.
struct Collection {
  caf::typed_response_promise<std::vector<actor_stats>> promise;
  std::vector<actor_stats> actors;
  std::vector<session_view> sessions;
  size_t remaining = 0;
  bool summary_only = false;  // sessions from the census, none asked
};

uint64_t take(std::map<std::string, uint64_t>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return 0;
  uint64_t v = it->second;
  m.erase(it);
  return v;
}

// The "sessions" entry as the ended sessions left it: their pushed totals, and every state at 0.
actor_stats ended_sessions(const StatsState& st) {
  actor_stats s;
  s.name = "sessions";
  s.counters = st.counters;
  s.handled = take(s.counters, "handled");
  s.busy_us = take(s.counters, "busy_us");
  s.instances = 0;
  for (const char* state : SessionCensus::kStates)
    s.counters[metrics::key(metrics::Id::sessions_in_state, state)] = 0;
  s.counters[metrics::key(metrics::Id::asked_for_stats)] = st.sessions_asked;
  s.mailbox_high_water = st.session_mailbox_high_water;
  return s;
}

// The "sessions" entry: totals of ended sessions plus the live ones, by state, slowest first.
actor_stats session_summary(StatsState& st, std::vector<session_view>& live) {
  actor_stats s = ended_sessions(st);
  s.instances = live.size();
  for (const auto& v : live) {
    ++s.counters[metrics::key(metrics::Id::sessions_in_state, v.state)];
    s.mailbox += v.mailbox;
    s.handled += v.handled;
    s.busy_us += v.busy_us;
  }
  st.session_mailbox_high_water = std::max(st.session_mailbox_high_water, s.mailbox);
  s.mailbox_high_water = st.session_mailbox_high_water;
  size_t n = std::min(st.slowest, live.size());
  std::partial_sort(
      live.begin(), live.begin() + static_cast<std::ptrdiff_t>(n), live.end(),
      [](const session_view& a, const session_view& b) { return a.in_state_ms > b.in_state_ms; });
  s.slowest.assign(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(n));
  return s;
}

// The "sessions" entry from the census alone: no session is asked (no mailbox depths, no
// handler time of live sessions, no slowest list).
actor_stats session_census_summary(const StatsState& st) {
  actor_stats s = ended_sessions(st);
  if (!st.census) return s;
  auto counts = st.census->counts();
  for (size_t i = 0; i < counts.size(); ++i) {
    uint64_t n = counts[i] > 0 ? static_cast<uint64_t>(counts[i]) : 0;
    s.counters[metrics::key(metrics::Id::sessions_in_state, SessionCensus::kStates[i])] = n;
    s.instances += n;
  }
  return s;
}

void add_histograms(std::vector<histogram_stats>& into, std::vector<histogram_stats>& from) {
  for (auto& h : from) {
    auto same = std::find_if(into.begin(), into.end(), [&](const histogram_stats& m) {
      return m.name == h.name && m.labels == h.labels;
    });
    if (same == into.end() || same->counts.size() != h.counts.size()) {
      into.push_back(std::move(h));
      continue;
    }
    for (size_t i = 0; i < h.counts.size(); ++i)
      same->counts[i] += h.counts[i];
    same->sum_us += h.sum_us;
  }
}

// Actors of one name (the brokers of several I/O threads, the writers and deliverers of several
// queue files) reported as one: amounts and histograms added up, levels the highest.
void merge_same_names(std::vector<actor_stats>& all) {
  std::vector<actor_stats> merged;
  for (auto& s : all) {
    auto same = std::find_if(merged.begin(), merged.end(),
                             [&](const actor_stats& m) { return m.name == s.name; });
    if (same == merged.end()) {
      merged.push_back(std::move(s));
      continue;
    }
    same->mailbox += s.mailbox;
    same->mailbox_high_water = std::max(same->mailbox_high_water, s.mailbox_high_water);
    same->instances += s.instances;
    same->handled += s.handled;
    same->busy_us += s.busy_us;
    for (const auto& [key, value] : s.counters)
      same->counters[key] = metrics::is_level(s.name, key) ? std::max(same->counters[key], value)
                                                           : same->counters[key] + value;
    add_histograms(same->histograms, s.histograms);
  }
  all = std::move(merged);
}

void finish_one(Self self, const std::shared_ptr<Collection>& c) {
  if (--c->remaining > 0) return;
  merge_same_names(c->actors);
  c->actors.insert(c->actors.begin(), c->summary_only ? session_census_summary(self->state)
                                                      : session_summary(self->state, c->sessions));
  c->promise.deliver(std::move(c->actors));
}

void ask_sessions(Self self, const std::shared_ptr<Collection>& c, const caf::actor& broker) {
  self->request(broker, kAskTimeout, list_atom::value)
      .then(
          [=](std::vector<caf::actor>& sessions) {
            c->remaining += sessions.size();
            self->state.sessions_asked += sessions.size();
            for (auto& s : sessions) {
              self->request(s, kAskTimeout, get_stats_atom::value)
                  .then(
                      [=](session_view& v) {
                        c->sessions.push_back(std::move(v));
                        finish_one(self, c);
                      },
                      [=](caf::error&) { finish_one(self, c); });  // it ended meanwhile
            }
            finish_one(self, c);
          },
          [=](caf::error&) { finish_one(self, c); });
}

// Asks every watched actor (and, unless summary_only, every live session) and answers once all
// have answered or timed out.
caf::typed_response_promise<std::vector<actor_stats>> collect(Self self, bool summary_only) {
  auto c = std::make_shared<Collection>();
  c->promise = self->make_response_promise<std::vector<actor_stats>>();
  c->summary_only = summary_only;
  // One for this actor's own part, released below once every request is out.
  c->remaining = 1 + self->state.watched.size() + (summary_only ? 0 : self->state.brokers.size());
  for (auto& a : self->state.watched) {
    self->request(a, kAskTimeout, get_stats_atom::value)
        .then(
            [=](actor_stats& s) {
              c->actors.push_back(std::move(s));
              finish_one(self, c);
            },
            [=](caf::error&) { finish_one(self, c); });
  }
  if (!summary_only)
    for (const auto& broker : self->state.brokers)
      ask_sessions(self, c, broker);
  finish_one(self, c);
  return c->promise;
}

StatsImpl::behavior_type stats_behavior(Self self, size_t slowest,
                                        std::shared_ptr<const SessionCensus> census) {
  self->state.slowest = slowest;
  self->state.census = std::move(census);
  // An actor that ended is no longer asked (a request to it would only time out).
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& w = self->state.watched;
    auto ended = [&](const caf::actor& a) { return a.address() == dm.source; };
    w.erase(std::remove_if(w.begin(), w.end(), ended), w.end());
    auto& b = self->state.brokers;
    b.erase(std::remove_if(b.begin(), b.end(), ended), b.end());
  });
  return {
      [=](count_atom, const std::string& name, uint64_t delta) {
        self->state.counters[name] += delta;
      },
      [=](count_atom, const std::map<std::string, uint64_t>& deltas) {
        for (const auto& [name, delta] : deltas)
          self->state.counters[name] += delta;
      },
      [=](watch_atom, caf::actor a) {
        self->monitor(a);
        self->state.watched.push_back(std::move(a));
      },
      [=](watch_atom, list_atom, caf::actor broker) {
        self->monitor(broker);
        self->state.brokers.push_back(std::move(broker));
      },
      [=](get_stats_atom) -> caf::result<std::vector<actor_stats>> { return collect(self, false); },
      [=](get_stats_atom, summary_atom) -> caf::result<std::vector<actor_stats>> {
        return collect(self, true);
      },
  };
}

}  // namespace

stats_actor spawn_stats(caf::actor_system& system, std::shared_ptr<const SessionCensus> census) {
  return caf::actor_cast<stats_actor>(system.spawn(stats_behavior, size_t{5}, std::move(census)));
}

void watch(stats_actor stats, caf::actor target) {
  caf::anon_send(caf::actor_cast<caf::actor>(stats), watch_atom::value, std::move(target));
}

void watch_sessions(stats_actor stats, caf::actor broker) {
  caf::anon_send(caf::actor_cast<caf::actor>(stats), watch_atom::value, list_atom::value,
                 std::move(broker));
}

}  // namespace mailactor::actors
