#include "actors/delivery/deliverer.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <deque>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "actors/actor_meter.hpp"
#include "actors/delivery/bounces.hpp"
#include "actors/delivery/delivery_log.hpp"
#include "actors/delivery/delivery_results.hpp"
#include "actors/observe/tracer.hpp"
#include "routing/connection_slots.hpp"
#include "routing/router.hpp"
#include "routing/router_source.hpp"
#include "storage/unix_time.hpp"

namespace mailactor::actors {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;
using storage::unix_now;
constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// Relay jobs waiting for a connection slot; past this the deliverer takes no new messages (their
// ids wait in `todo`, which costs far less than a job).
constexpr size_t kMaxRelayWaiting = 1000;

// What the deliverer remembers of a job while its target works on it.
struct JobContext {
  std::string route;
  storage::MessageMeta meta;
  std::map<uint32_t, storage::RecipientRow> rows;  // by idx
  std::chrono::steady_clock::time_point sent;
  bool counted = true;      // in `in_flight` (relay jobs have their own bounds: connection slots)
  std::string destination;  // relay: routing::Destination::key()
};

struct RelayJob {
  delivery_job job;
  std::shared_ptr<JobContext> ctx;
};

struct DelivererState {
  static inline const char* name = "deliverer";
  std::shared_ptr<storage::QueueReader> reader;
  DeliveryTargets targets;
  size_t next_target = 0;  // round robin over a route's targets
  queue_writer_actor writer;
  DeliverySettings settings;
  std::deque<std::string> todo;
  std::unordered_set<std::string> known;  // in todo: a notification and a scan may both name it
  // Per message: jobs in flight, and reported results the writer has not yet made durable (the
  // queue shows those recipients as still due: sending the message again would duplicate it).
  std::unordered_map<std::string, size_t> busy;
  size_t in_flight = 0;
  bool pumping = false;                             // pump() is on the stack
  std::unique_ptr<routing::ConnectionSlots> slots;  // over the relay route's targets
  std::deque<RelayJob> relay_waiting;
  bool resting = false;      // cpu_share: a pause after work
  metrics::Figures figures;  // results by route, notices, back-offs, recovered_at_start
  uint64_t mailbox_high_water = 0;
  HandlerMeter meter;
  LatencyHistogram delivery_latency;  // one job, dispatch to report
};

using Self = deliverer_actor::stateful_pointer<DelivererState>;

void pump(Self self);

void enqueue(Self self, std::vector<std::string> ids) {
  auto& st = self->state;
  for (auto& id : ids)
    if (st.known.insert(id).second) st.todo.push_back(std::move(id));
  pump(self);
}

// The writer made these messages' results durable (or lost them: then they are looked at again).
void recorded(Self self, std::vector<std::string> ids, bool durable) {
  auto& st = self->state;
  for (const auto& id : ids) {
    auto it = st.busy.find(id);
    if (it != st.busy.end() && --it->second == 0) st.busy.erase(it);
  }
  if (!durable) enqueue(self, std::move(ids));
}

// Looks at `id` again once its next recipient is due.
void recheck_at(Self self, const std::string& id, int64_t when) {
  if (when == kNever) return;
  auto delay = std::chrono::seconds(std::max<int64_t>(1, when - unix_now()));
  self->delayed_send(self, delay, queued_atom::value, std::vector<std::string>{id});
}

// The deliveries_total line a final or deferred result counts on.
metrics::Id result_metric(RecipientState s) {
  switch (s) {
    case RecipientState::delivered:
      return metrics::Id::deliveries_delivered;
    case RecipientState::failed:
      return metrics::Id::deliveries_failed;
    case RecipientState::expired:
      return metrics::Id::deliveries_expired;
    default:  // pending again: tried later
      return metrics::Id::deliveries_deferred;
  }
}

// Temporary failures get their next attempt, or expire; returns the soonest next attempt.
int64_t schedule_retries(Self self, const JobContext& job, std::vector<DeliveryResult>& results) {
  auto& st = self->state;
  const int64_t now = unix_now();
  int64_t soonest = kNever;
  for (auto& r : results) {
    if (r.state == RecipientState::pending) {
      auto it = job.rows.find(r.idx);
      int64_t tried = (it == job.rows.end() ? 0 : it->second.attempts) + 1;
      const auto& schedule = job.route == routing::to_string(routing::Route::relay())
                                 ? st.settings.relay_retry
                                 : st.settings.retry;
      auto d = routing::after_temporary_failure(schedule, tried, job.meta.received_at, now);
      if (d.expired) {
        r.state = RecipientState::expired;
      } else {
        r.next_attempt_at = d.next_attempt_at;
        soonest = std::min(soonest, d.next_attempt_at);
      }
    }
    st.figures.add(result_metric(r.state), job.route);
  }
  return soonest;
}

// The reports this result asks for: a bounce for what failed for good (unless its NOTIFY says
// otherwise), a success notice for what was delivered with NOTIFY=SUCCESS.
std::vector<queued_bounce> notices_for(Self self, const JobContext& job,
                                       const std::vector<DeliveryResult>& results) {
  auto& st = self->state;
  std::vector<queued_bounce> out;
  if (!st.settings.router) return out;
  for (bool success : {false, true}) {
    std::vector<BouncedRecipient> picked;
    for (const auto& r : results) {
      auto it = job.rows.find(r.idx);
      if (it != job.rows.end() && (r.state == RecipientState::delivered) == success &&
          wants_notice(it->second.routed.notify, r))
        picked.push_back({it->second.routed, r});
    }
    if (picked.empty()) continue;
    auto d = make_bounce(*st.reader, *st.settings.router->current(), st.settings.hostname, job.meta,
                         picked, unix_now());
    const char* what = success ? "success notice" : "bounce";
    if (!d.bounce.meta.id.empty()) {
      st.figures.add(success ? metrics::Id::success_notices : metrics::Id::bounces);
      spdlog::info("{} {} for {} ({} recipients) to <{}>", what, d.bounce.meta.id, job.meta.id,
                   picked.size(), job.meta.mail_from);
      out.push_back(std::move(d.bounce));
    } else {
      st.figures.add(metrics::Id::bounces_not_sent);
      spdlog::warn("no {} for {} ({} recipients): {}", what, job.meta.id, picked.size(), d.why_not);
    }
  }
  return out;
}

// The job's attempt, per recipient, in the message's trace: when it went out and what came back.
void trace_report(Self self, const JobContext& job, const delivery_report& report) {
  auto& st = self->state;
  if (!st.settings.tracer) return;
  const auto took = std::chrono::steady_clock::now() - job.sent;
  const int64_t now = trace::now_us();
  const auto took_us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  trace::Record part;
  part.id = job.meta.id;
  part.events.push_back({now - took_us, "dispatch",
                         std::to_string(report.results.size()) + " recipient(s) to " + job.route +
                             (job.destination.empty() ? "" : " (" + job.destination + ")")});
  for (const auto& r : report.results) {
    auto row = job.rows.find(r.idx);
    std::string who = row == job.rows.end() ? "#" + std::to_string(r.idx)
                                            : "<" + row->second.routed.address + ">";
    std::string reply = storage::reply_line(r.code, r.enhanced, r.text, r.host);
    int64_t attempt = row == job.rows.end() ? 0 : row->second.attempts + 1;
    part.events.push_back({now, "delivery",
                           who + " via " + job.route + ": " + reply + " -> " +
                               storage::to_string(r.state) + " (attempt " +
                               std::to_string(attempt) + ", " +
                               trace::ms_text(static_cast<uint64_t>(took_us)) + ")"});
  }
  send_trace(self, st.settings.tracer, std::move(part));
}

// One line per recipient and attempt, the queue id first (delivery_log.hpp).
void log_results(const JobContext& job, const std::vector<DeliveryResult>& results) {
  const int64_t now = unix_now();
  for (const auto& r : results) {
    auto row = job.rows.find(r.idx);
    if (row == job.rows.end()) continue;
    spdlog::info("{}", delivery_log_line(job.meta.id, row->second.routed, row->second.attempts + 1,
                                         r, job.meta.received_at, now));
  }
}

// A target's answer: retries scheduled, the results (and any bounce) to the writer, and the
// message looked at again once its next recipient is due.
void on_report(Self self, const JobContext& job, delivery_report& report) {
  auto& st = self->state;
  st.delivery_latency.observe(std::chrono::steady_clock::now() - job.sent);
  trace_report(self, job, report);
  const int64_t soonest = schedule_retries(self, job, report.results);
  log_results(job, report.results);
  std::vector<queued_bounce> notices;
  try {
    notices = notices_for(self, job, report.results);
  } catch (const std::exception& e) {
    spdlog::error("bounce for {}: cannot read the queue: {}", job.meta.id, e.what());
  }
  self->send(st.writer, delivered_atom::value, job.meta.id, std::move(report.results),
             std::move(notices));
  recheck_at(self, job.meta.id, soonest);  // busy until recorded: counted in recorded()
  if (job.counted) --st.in_flight;
  if (st.settings.cpu_share < 1.0) {
    st.resting = true;
    auto rest = std::chrono::microseconds(static_cast<int64_t>(
        static_cast<double>(report.busy_us) * (1.0 / st.settings.cpu_share - 1.0)));
    self->delayed_send(self, rest, work_atom::value);
  }
  pump(self);
}

// The relay route's targets: one outbound connection each, handed out by connection slot.
const std::vector<delivery_target_actor>& relay_pool(const DelivererState& st) {
  static const std::vector<delivery_target_actor> none;
  auto pool = st.targets.find(routing::to_string(routing::Route::relay()));
  return pool == st.targets.end() ? none : pool->second;
}

delivery_target_actor target_for(Self self, const std::string& route) {
  auto& st = self->state;
  auto pool = st.targets.find(route);
  if (pool == st.targets.end() || pool->second.empty()) return {};  // e.g. relay while it is off
  return pool->second[st.next_target++ % pool->second.size()];
}

void relay_pump(Self self);

void send_relay(Self self, size_t slot, RelayJob j) {
  auto& st = self->state;
  j.ctx->sent = std::chrono::steady_clock::now();
  auto ctx = j.ctx;
  auto destination = j.ctx->destination;
  const std::vector<uint32_t> idx = j.job.idx;
  auto finish = [=](delivery_report& r) {
    auto& s = self->state;
    s.slots->release(slot);
    if (r.destination_down && !r.results.empty()) {
      s.slots->back_off(destination, unix_now() + s.settings.relay_retry.first.count(),
                        r.results.front().text);
      s.figures.add(metrics::Id::backed_off);
    }
    on_report(self, *ctx, r);
    relay_pump(self);
  };
  self->request(relay_pool(st)[slot], caf::infinite, deliver_atom::value, std::move(j.job))
      .then(
          [=](delivery_report& r) {
            HandlerClock clock{self->state.meter};
            finish(r);
          },
          [=](caf::error& e) {
            delivery_report r;
            r.results = results::all(
                idx,
                results::temporary(0, "4.3.0", "relay target failed: " + self->system().render(e)));
            finish(r);
          });
}

// Waiting relay jobs onto free connection slots; a destination backed off answers at once.
void relay_pump(Self self) {
  auto& st = self->state;
  std::vector<std::pair<size_t, RelayJob>> ready;
  std::vector<std::pair<std::string, RelayJob>> backed_off;  // why, job
  const int64_t now = unix_now();
  for (size_t i = 0; i < st.relay_waiting.size();) {
    auto& j = st.relay_waiting[i];
    std::optional<size_t> slot;
    if (auto why = st.slots->backed_off(j.ctx->destination, now)) {
      backed_off.emplace_back("destination backed off: " + *why, std::move(j));
    } else if ((slot = st.slots->take(j.ctx->destination))) {
      ready.emplace_back(*slot, std::move(j));
    } else {
      ++i;
      continue;
    }
    st.relay_waiting.erase(st.relay_waiting.begin() + static_cast<std::ptrdiff_t>(i));
  }
  for (auto& [slot, j] : ready)
    send_relay(self, slot, std::move(j));
  for (auto& [why, j] : backed_off) {
    delivery_report r;
    r.results = results::all(j.job.idx, results::temporary(0, "4.4.1", why));
    on_report(self, *j.ctx, r);
  }
}

void send_job(Self self, delivery_job job, std::shared_ptr<JobContext> ctx) {
  auto& st = self->state;
  if (ctx->route == routing::to_string(routing::Route::relay()) && st.slots) {
    ++st.busy[job.id];
    ctx->counted = false;
    st.relay_waiting.push_back({std::move(job), std::move(ctx)});
    relay_pump(self);
    return;
  }
  auto target = target_for(self, ctx->route);
  if (!target) return;
  ++st.in_flight;
  ++st.busy[job.id];
  ctx->sent = std::chrono::steady_clock::now();
  const std::vector<uint32_t> idx = job.idx;
  self->request(target, caf::infinite, deliver_atom::value, std::move(job))
      .then(
          [=](delivery_report& r) {
            HandlerClock clock{self->state.meter};
            on_report(self, *ctx, r);
          },
          [=](caf::error& e) {
            delivery_report r;
            r.results = results::all(
                idx, results::temporary(0, "4.3.0",
                                        "delivery target failed: " + self->system().render(e)));
            on_report(self, *ctx, r);
          });
}

// The operator gave these recipients up: they fail now, and bounce.
void give_up(Self self, const JobContext& ctx) {
  auto& st = self->state;
  delivery_report r;
  for (const auto& [idx, row] : ctx.rows)
    r.results.push_back(
        results::permanent(idx, 550, "5.0.0", "given up by the operator (mailactor queue bounce)"));
  ++st.in_flight;
  ++st.busy[ctx.meta.id];
  on_report(self, ctx, r);
}

// One job per route for the message's recipients that are due now.
void dispatch(Self self, const std::string& id) {
  auto& st = self->state;
  auto entry = st.reader->get(id);
  if (!entry || entry->state != storage::MessageState::queued) return;
  const int64_t now = unix_now();
  int64_t soonest = kNever;
  std::map<std::string, std::pair<delivery_job, std::shared_ptr<JobContext>>> jobs;
  auto given_up = std::make_shared<JobContext>();  // `mailactor queue bounce`
  given_up->route = "operator";
  given_up->meta = entry->meta;
  given_up->sent = std::chrono::steady_clock::now();
  for (auto& row : st.reader->recipients(id)) {
    if (row.state == RecipientState::bouncing) {
      given_up->rows[static_cast<uint32_t>(row.idx)] = std::move(row);
      continue;
    }
    if (row.state != RecipientState::pending) continue;
    if (row.next_attempt_at > now) {
      soonest = std::min(soonest, row.next_attempt_at);
      continue;
    }
    // Relay recipients go one job per destination; the others one job per route.
    std::string target = row.routed.target, destination;
    if (row.routed.route == routing::to_string(routing::Route::relay()) && st.settings.relay) {
      target = routing::domain_of(row.routed.address);
      destination = routing::destination_for(*st.settings.relay, target).key();
    }
    auto& [job, ctx] = jobs[row.routed.route + "|" + destination];
    if (!ctx) {
      ctx = std::make_shared<JobContext>();
      ctx->route = row.routed.route;
      ctx->destination = destination;
      ctx->meta = entry->meta;
      job.id = id;
      job.queue_file = st.settings.queue_file;
    }
    job.idx.push_back(static_cast<uint32_t>(row.idx));
    job.recipients.push_back(row.routed.address);
    job.originals.push_back(row.routed.original);
    job.targets.push_back(target);
    ctx->rows[static_cast<uint32_t>(row.idx)] = std::move(row);
  }
  for (auto& [key, job] : jobs)
    send_job(self, std::move(job.first), std::move(job.second));
  recheck_at(self, id, soonest);
  if (!given_up->rows.empty()) give_up(self, *given_up);
}

void pump(Self self) {
  auto& st = self->state;
  if (st.pumping) return;  // a report answered inside the loop below: the loop goes on
  st.pumping = true;
  while (!st.resting && st.in_flight < st.settings.max_in_flight && !st.todo.empty() &&
         st.relay_waiting.size() < kMaxRelayWaiting) {
    std::string id = std::move(st.todo.front());
    st.todo.pop_front();
    st.known.erase(id);
    if (st.busy.count(id) > 0) continue;  // its report schedules what is still pending
    try {
      dispatch(self, id);
    } catch (const std::exception& e) {
      spdlog::error("delivery of {}: cannot read the queue, trying again in {}s: {}", id,
                    st.settings.retry.first.count(), e.what());
      self->delayed_send(self, st.settings.retry.first, queued_atom::value,
                         std::vector<std::string>{id});
    }
  }
  st.pumping = false;
}

actor_stats stats_of(Self self) {
  auto& s = self->state;
  actor_stats r;
  r.name = "deliverer";
  r.mailbox = self->mailbox().size();
  r.mailbox_high_water = s.mailbox_high_water;
  using metrics::Id;
  metrics::Figures f = s.figures;
  uint64_t delivered = 0;
  for (const auto& [k, v] : f.values())
    if (auto m = metrics::find("deliverer", k); m && m->metric->id == Id::deliveries_delivered)
      delivered += v;
  f.set(Id::delivered, delivered);
  f.set(Id::backlog, s.todo.size());
  f.set(Id::in_flight, s.in_flight);
  f.set(Id::relay_waiting, s.relay_waiting.size());
  try {  // the queue's view: every recipient not yet final, and the oldest one waiting
    f.set(Id::queue_recipients, "pending", 0);  // always there, for dashboards
    f.set(Id::queue_recipients, "held", 0);
    for (const auto& [state, n] : s.reader->recipients_by_state())
      f.set(Id::queue_recipients, state, n);
    int64_t oldest = s.reader->oldest_pending_arrival();
    f.set(Id::oldest_pending,
          oldest == 0 ? 0 : static_cast<uint64_t>(std::max<int64_t>(0, unix_now() - oldest)));
  } catch (const std::exception& e) {
    spdlog::warn("deliverer stats: cannot read the queue: {}", e.what());
  }
  r.counters = std::move(f.values());
  r.handled = s.meter.handled;
  r.busy_us = s.meter.busy_us;
  r.histograms.push_back(to_stats(metrics::key(metrics::Id::delivery_latency), s.delivery_latency));
  return r;
}

deliverer_actor::behavior_type deliverer_behavior(Self self,
                                                  std::shared_ptr<storage::QueueReader> reader,
                                                  DeliveryTargets targets,
                                                  queue_writer_actor writer,
                                                  DeliverySettings settings) {
  auto& st = self->state;
  st.reader = std::move(reader);
  st.targets = std::move(targets);
  st.writer = std::move(writer);
  st.settings = settings;
  // The targets end with the deliverer.
  if (!relay_pool(st).empty())
    st.slots = std::make_unique<routing::ConnectionSlots>(relay_pool(st).size(),
                                                          st.settings.relay_per_destination);
  for (const auto& [route, pool] : st.targets)
    for (const auto& t : pool)
      self->link_to(t);
  self->delayed_send(self, st.settings.due_scan, tick_atom::value);
  return {
      [=](queued_atom, std::vector<std::string>& ids) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        s.mailbox_high_water = std::max<uint64_t>(s.mailbox_high_water, self->mailbox().size());
        enqueue(self, std::move(ids));
      },
      [=](recorded_atom, std::vector<std::string>& ids, bool durable) {
        HandlerClock clock{self->state.meter};
        recorded(self, std::move(ids), durable);
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
        self->state.figures.add(metrics::Id::recovered, total);
        if (total > 0) spdlog::info("delivering {} messages queued before start", total);
      },
      [=](tick_atom) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        try {
          enqueue(self, s.reader->due_ids(unix_now(), 1000));
        } catch (const std::exception& e) {
          spdlog::error("deliverer: cannot read the queue: {}", e.what());
        }
        self->delayed_send(self, s.settings.due_scan, tick_atom::value);
      },
      [=](work_atom) {
        HandlerClock clock{self->state.meter};
        self->state.resting = false;
        pump(self);
      },
      [=](get_stats_atom) { return stats_of(self); },
  };
}

}  // namespace

deliverer_actor spawn_deliverer(caf::actor_system& system,
                                std::shared_ptr<storage::QueueReader> reader,
                                DeliveryTargets targets, queue_writer_actor writer,
                                DeliverySettings settings) {
  auto d = system.spawn<caf::detached>(deliverer_behavior, std::move(reader), std::move(targets),
                                       writer, settings);
  caf::anon_send(writer, attach_atom::value, d);
  return d;
}

}  // namespace mailactor::actors
