#include "actors/deliverer.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <deque>
#include <system_error>
#include <unordered_set>

#include "actors/actor_meter.hpp"
#include "storage/envelope_json.hpp"

namespace mailactor::actors {
namespace {

struct DelivererState {
  static inline const char* name = "deliverer";
  std::shared_ptr<storage::QueueReader> reader;
  std::shared_ptr<storage::Maildir> maildir;
  queue_writer_actor writer;
  DeliverySettings settings;
  std::deque<std::string> todo;
  std::unordered_set<std::string> known;  // in todo: a notification and a scan may both name it
  bool working = false;
  uint64_t delivered = 0;
  uint64_t failures = 0;   // each is tried again after retry_delay
  uint64_t recovered = 0;  // queued before this start, picked up by the scan
  uint64_t mailbox_high_water = 0;
  HandlerMeter meter;
  LatencyHistogram delivery_latency;  // one Maildir delivery, fsyncs included
};

using Self = deliverer_actor::stateful_pointer<DelivererState>;

void enqueue(Self self, std::vector<std::string> ids) {
  auto& st = self->state;
  for (auto& id : ids)
    if (st.known.insert(id).second) st.todo.push_back(std::move(id));
  // One message per turn, so stats requests and new work interleave with delivery.
  if (!st.working && !st.todo.empty()) {
    st.working = true;
    self->send(self, work_atom::value);
  }
}

void deliver_one(Self self, const std::string& id) {
  auto& st = self->state;
  auto entry = st.reader->get(id);
  if (!entry || entry->state != storage::MessageState::queued) return;
  auto t0 = std::chrono::steady_clock::now();
  st.maildir->deliver(id, storage::envelope_json(entry->meta),
                      [&](const storage::Maildir::Writer& w) { st.reader->content(id, w); });
  ++st.delivered;
  st.delivery_latency.observe(std::chrono::steady_clock::now() - t0);
  self->send(st.writer, delivered_atom::value, id);
}

deliverer_actor::behavior_type deliverer_behavior(Self self,
                                                  std::shared_ptr<storage::QueueReader> reader,
                                                  std::shared_ptr<storage::Maildir> maildir,
                                                  queue_writer_actor writer,
                                                  DeliverySettings settings) {
  auto& st = self->state;
  st.reader = std::move(reader);
  st.maildir = std::move(maildir);
  st.writer = std::move(writer);
  st.settings = settings;
  return {
      [=](queued_atom, std::vector<std::string>& ids) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        s.mailbox_high_water = std::max<uint64_t>(s.mailbox_high_water, self->mailbox().size());
        enqueue(self, std::move(ids));
      },
      [=](scan_atom) {
        HandlerClock clock{self->state.meter};
        // Messages queued before a restart (or a crash between delivery steps).
        std::string after;
        size_t total = 0;
        while (true) {
          auto ids = self->state.reader->queued_ids(after, 1000);
          if (ids.empty()) break;
          after = ids.back();
          total += ids.size();
          enqueue(self, std::move(ids));
        }
        self->state.recovered += total;
        if (total > 0) spdlog::info("delivering {} messages queued before start", total);
      },
      [=](work_atom) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        s.working = false;
        if (s.todo.empty()) return;
        std::string id = std::move(s.todo.front());
        s.todo.pop_front();
        s.known.erase(id);
        auto t0 = std::chrono::steady_clock::now();
        try {
          deliver_one(self, id);
          if (s.settings.cpu_share < 1.0 && !s.todo.empty()) {
            auto rest = std::chrono::duration_cast<std::chrono::microseconds>(
                (std::chrono::steady_clock::now() - t0) * (1.0 / s.settings.cpu_share - 1.0));
            s.working = true;
            self->delayed_send(self, rest, work_atom::value);
            return;
          }
        } catch (const std::exception& e) {
          ++s.failures;
          spdlog::error("delivery of {} failed, retrying in {}s: {}", id,
                        s.settings.retry_delay.count(), e.what());
          self->delayed_send(self, s.settings.retry_delay, queued_atom::value,
                             std::vector<std::string>{id});
        }
        enqueue(self, {});
      },
      [=](get_stats_atom) {
        auto& s = self->state;
        actor_stats r;
        r.name = "deliverer";
        r.mailbox = self->mailbox().size();
        r.mailbox_high_water = s.mailbox_high_water;
        r.counters = {{"delivered", s.delivered},
                      {"failures", s.failures},
                      {"recovered_at_start", s.recovered},
                      {"backlog", s.todo.size()}};
        r.handled = s.meter.handled;
        r.busy_us = s.meter.busy_us;
        r.histograms.push_back(to_stats("delivery_latency", s.delivery_latency));
        return r;
      },
  };
}

}  // namespace

deliverer_actor spawn_deliverer(caf::actor_system& system,
                                std::shared_ptr<storage::QueueReader> reader,
                                std::shared_ptr<storage::Maildir> maildir,
                                queue_writer_actor writer, DeliverySettings settings) {
  auto d = system.spawn<caf::detached>(deliverer_behavior, std::move(reader), std::move(maildir),
                                       writer, settings);
  caf::anon_send(writer, attach_atom::value, d);
  return d;
}

}  // namespace mailactor::actors
