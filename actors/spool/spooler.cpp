#include "actors/spool/spooler.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <map>

#include "actors/actor_meter.hpp"
#include "actors/limits/rate_limiter.hpp"
#include "storage/queue_id.hpp"

namespace mailactor::actors {
namespace {

// A queue writer as the spooler sees it: its latest report after a batch (or a probe).
struct WriterView {
  queue_writer_actor actor;
  uint64_t depth = 0;
  uint64_t latency_us = 0;
};

struct SpoolerState {
  static inline const char* name = "spooler";
  std::vector<WriterView> writers;  // one per queue file
  size_t next_writer = 0;           // transactions go round the writers in turn
  SpoolSettings settings;
  std::unique_ptr<storage::QueueIdGenerator> ids;
  pressure level = pressure::normal;
  std::vector<caf::actor> listeners;  // told about every level change (the broker)
  uint64_t level_changes = 0;
  std::map<std::string, std::unique_ptr<RateLimiter>> message_rate;  // by listener
  uint64_t rate_limited = 0;
  bool probing = false;
  uint64_t tickets = 0;
  uint64_t shed = 0;
  uint64_t mailbox_high_water = 0;
  HandlerMeter meter;
};

RateLimiter& message_rate(SpoolerState& s, const std::string& listener) {
  auto& limiter = s.message_rate[listener];
  if (!limiter) {
    auto it = s.settings.message_rate_per_listener.find(listener);
    limiter = std::make_unique<RateLimiter>(it == s.settings.message_rate_per_listener.end()
                                                ? s.settings.max_message_rate_per_ip
                                                : it->second);
  }
  return *limiter;
}

using Self = spooler_actor::stateful_pointer<SpoolerState>;

std::chrono::microseconds threshold(const SpoolSettings& s, pressure p) {
  switch (p) {
    case pressure::slow:
      return s.slow_latency;
    case pressure::shed:
      return s.shed_latency;
    case pressure::refuse:
      return s.refuse_latency;
    case pressure::normal:
      break;
  }
  return std::chrono::microseconds(0);
}

// The level the writer's latest report calls for. Depth counts too: max_pending waiting
// requests is as bad as a one-second commit.
pressure level_for(const SpoolSettings& s, uint64_t depth, std::chrono::microseconds latency) {
  if (latency >= threshold(s, pressure::refuse) || depth > 2 * s.max_pending)
    return pressure::refuse;
  if (latency >= threshold(s, pressure::shed) || depth > s.max_pending) return pressure::shed;
  if (latency >= threshold(s, pressure::slow) || depth > s.max_pending / 2) return pressure::slow;
  return pressure::normal;
}

// The deepest writer's depth and the slowest one's latency: the files share a disk, and a
// transaction may go to any of them.
WriterView worst(const SpoolerState& st) {
  WriterView w;
  for (const auto& each : st.writers) {
    w.depth = std::max(w.depth, each.depth);
    w.latency_us = std::max(w.latency_us, each.latency_us);
  }
  return w;
}

// After a writer's report: the level the worst writer calls for.
void update_pressure(Self self) {
  auto& st = self->state;
  const WriterView all = worst(st);
  const uint64_t depth = all.depth, latency_us = all.latency_us;
  std::chrono::microseconds latency(latency_us);
  pressure next = level_for(st.settings, depth, latency);
  // Going down needs the latency well under the current level's mark (no flapping).
  if (next < st.level && latency * 2 >= threshold(st.settings, st.level)) next = st.level;
  if (next == st.level) return;
  bool worse = next > st.level;
  st.level = next;
  ++st.level_changes;
  if (worse)
    spdlog::warn("spool pressure {}: commit latency {} ms, writer depth {}", to_string(next),
                 latency_us / 1000, depth);
  else
    spdlog::info("spool pressure {}: commit latency {} ms, writer depth {}", to_string(next),
                 latency_us / 1000, depth);
  for (auto& l : st.listeners)
    caf::anon_send(l, pressure_atom::value, static_cast<uint8_t>(next));
  // Under pressure nobody may be committing (shed), so no report would ever say it is over:
  // probe the writer until the level is back to normal.
  if (worse && !st.probing) {
    st.probing = true;
    self->delayed_send(self, std::chrono::milliseconds(500), probe_atom::value);
  }
}

// Asks every writer how long a request waits there now; the next round follows the last answer.
void probe(Self self) {
  auto& st = self->state;
  if (st.level == pressure::normal) {
    st.probing = false;
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto limit =
      std::chrono::duration_cast<std::chrono::milliseconds>(st.settings.refuse_latency) * 2;
  auto unanswered = std::make_shared<size_t>(st.writers.size());
  for (size_t i = 0; i < st.writers.size(); ++i) {
    auto done = [=](std::optional<uint64_t> depth, std::chrono::steady_clock::duration waited) {
      auto& w = self->state.writers[i];
      w.depth = depth.value_or(w.depth);
      w.latency_us = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(waited).count());
      update_pressure(self);
      if (--*unanswered == 0)
        self->delayed_send(self, std::chrono::milliseconds(500), probe_atom::value);
    };
    self->request(st.writers[i].actor, limit, probe_atom::value)
        .then([=](uint64_t depth) { done(depth, std::chrono::steady_clock::now() - t0); },
              [=](caf::error&) { done(std::nullopt, limit); });
  }
}

WriterView* writer_of(Self self, const caf::strong_actor_ptr& sender) {
  for (auto& w : self->state.writers)
    if (caf::actor_cast<caf::strong_actor_ptr>(w.actor) == sender) return &w;
  return nullptr;
}

spooler_actor::behavior_type spooler_behavior(Self self, std::vector<queue_writer_actor> writers,
                                              SpoolSettings settings) {
  auto& st = self->state;
  for (auto& w : writers)
    st.writers.push_back({std::move(w)});
  st.settings = settings;
  st.ids = std::make_unique<storage::QueueIdGenerator>(settings.node_id);
  return {
      [=](begin_atom, const std::string& client, const std::string& listener) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        s.mailbox_high_water = std::max<uint64_t>(s.mailbox_high_water, self->mailbox().size());
        spool_ticket t;
        if (s.level >= pressure::shed) {
          ++s.shed;
          return t;
        }
        if (!message_rate(s, listener).allow(client)) {
          ++s.rate_limited;
          t.code = 450;
          t.status = "4.7.1";
          t.text = "Too many messages from your address, slow down";
          return t;
        }
        ++s.tickets;
        t.accepted = true;
        t.id = s.ids->next();
        t.writer = s.writers[s.next_writer].actor;
        s.next_writer = (s.next_writer + 1) % s.writers.size();
        return t;
      },
      [=](depth_atom, uint64_t depth, uint64_t latency_us) {
        HandlerClock clock{self->state.meter};
        if (auto* w = writer_of(self, self->current_sender())) {
          w->depth = depth;
          w->latency_us = latency_us;
          update_pressure(self);
        }
      },
      [=](probe_atom) { probe(self); },
      [=](attach_atom, caf::actor listener) {
        caf::anon_send(listener, pressure_atom::value, static_cast<uint8_t>(self->state.level));
        self->state.listeners.push_back(std::move(listener));
      },
      [=](get_stats_atom) {
        auto& s = self->state;
        const WriterView all = worst(s);
        actor_stats r;
        r.name = "spooler";
        r.mailbox = self->mailbox().size();
        r.mailbox_high_water = s.mailbox_high_water;
        r.counters = {{metrics::key(metrics::Id::spooler_tickets), s.tickets},
                      {metrics::key(metrics::Id::spooler_shed), s.shed},
                      {metrics::key(metrics::Id::writer_depth), all.depth},
                      {metrics::key(metrics::Id::rate_limited), s.rate_limited},
                      {metrics::key(metrics::Id::pressure_level), static_cast<uint64_t>(s.level)},
                      {metrics::key(metrics::Id::pressure_changes), s.level_changes},
                      {metrics::key(metrics::Id::spooler_commit_latency), all.latency_us}};
        r.handled = s.meter.handled;
        r.busy_us = s.meter.busy_us;
        return r;
      },
  };
}

}  // namespace

const char* to_string(pressure p) {
  switch (p) {
    case pressure::normal:
      return "normal";
    case pressure::slow:
      return "slow (reads paced)";
    case pressure::shed:
      return "shed (new transactions get 451 4.3.2)";
    case pressure::refuse:
      return "refuse (new connections get 421 4.3.2)";
  }
  return "?";
}

spooler_actor spawn_spooler(caf::actor_system& system, std::vector<queue_writer_actor> writers,
                            SpoolSettings settings) {
  auto spooler = system.spawn(spooler_behavior, writers, settings);
  for (const auto& w : writers)
    caf::anon_send(w, attach_atom::value, caf::actor_cast<depth_listener_actor>(spooler));
  return spooler;
}

}  // namespace mailactor::actors
