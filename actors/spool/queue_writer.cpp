#include "actors/spool/queue_writer.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include "actors/actor_meter.hpp"
#include "storage/unix_time.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <iterator>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace mailactor::actors {
namespace {

using storage::unix_now;

spool_reply error_reply(const storage::SqliteError& e) {
  if (e.code() == SQLITE_FULL)
    return spool_reply{false, 0, 452, "4.3.1", "Insufficient system storage"};
  return spool_local_error();
}

struct PendingCommit {
  caf::typed_response_promise<spool_reply> promise;
  std::string id;
  uint64_t size;
  std::chrono::steady_clock::time_point arrived;
};

struct WriterState {
  static inline const char* name = "queue_writer";
  std::shared_ptr<storage::QueueStore> store;
  SpoolSettings settings;
  deliverer_actor deliverer;
  depth_listener_actor spooler;
  std::vector<PendingCommit> pending;
  std::unordered_set<std::string> failed;  // partial content lost in a rolled-back batch
  // Messages with content but no commit yet, by when content last came. A sender that vanished
  // without an abort (an edge node killed mid-DATA) leaves one behind; the sweep drops it.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> receiving;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> abandoned;
  uint64_t abandoned_total = 0;
  // Messages whose commit failed after earlier batches had made some of their content durable:
  // that content is removed right after the next batch that commits.
  std::vector<std::string> orphans;
  // In the open batch: messages with delivery results, and bounces queued with them.
  std::vector<std::string> reported;
  std::vector<std::string> bounces;
  uint64_t batch_bytes = 0;
  bool flush_scheduled = false;
  // stats
  uint64_t mailbox_high_water = 0;
  uint64_t batches = 0;
  uint64_t commits = 0;
  uint64_t bytes = 0;  // content of committed messages
  uint64_t appends = 0;
  uint64_t aborts = 0;
  uint64_t errors = 0;
  uint64_t delivered = 0;
  uint64_t largest_batch = 0;
  uint64_t batch_hist[6] = {};  // commits per batch: 1, 2-4, 5-16, 17-64, 65-256, >256
  uint64_t sync_us_total = 0;
  uint64_t last_latency_us = 0;
  HandlerMeter meter;
  LatencyHistogram commit_latency;  // per message: commit request in to durable
};

using Self = queue_writer_actor::stateful_pointer<WriterState>;

void record_batch(WriterState& st, size_t n) {
  ++st.batches;
  st.commits += n;
  st.largest_batch = std::max<uint64_t>(st.largest_batch, n);
  int b = n <= 1 ? 0 : n <= 4 ? 1 : n <= 16 ? 2 : n <= 64 ? 3 : n <= 256 ? 4 : 5;
  ++st.batch_hist[b];
}

// The deliverer does not send a message again until its results are durable (or lost: then it
// looks at the message again); until then the queue still shows the recipients as pending.
void tell_recorded(Self self, bool durable) {
  auto& st = self->state;
  if (!st.reported.empty() && st.deliverer)
    self->send(st.deliverer, recorded_atom::value, std::move(st.reported), durable);
  st.reported.clear();
}

void fail_batch(Self self, const spool_reply& r) {
  auto& st = self->state;
  for (auto& p : st.pending)
    p.promise.deliver(r);
  st.pending.clear();
  for (const auto& id : st.store->lost_in_rollback())
    st.failed.insert(id);
  st.batch_bytes = 0;
  // Delivery results were lost with the batch: the deliverer looks at those messages again.
  st.bounces.clear();
  tell_recorded(self, false);
}

void drop_orphans(Self self);

// The batch's messages, each told which group commit made it durable.
void trace_batch(Self self, uint64_t sync_us) {
  auto& st = self->state;
  if (!st.settings.tracer || st.pending.empty()) return;
  std::vector<std::string> ids;
  uint64_t bytes = 0;
  for (const auto& p : st.pending) {
    ids.push_back(p.id);
    bytes += p.size;
  }
  trace::Event e{trace::now_us(), "group commit",
                 "durable in a batch of " + std::to_string(ids.size()) + " message(s), " +
                     std::to_string(bytes) + " bytes; commit and sync took " +
                     trace::ms_text(sync_us)};
  self->send(st.settings.tracer, trace_atom::value, std::move(ids), std::move(e));
}

void commit_batch(Self self) {
  auto& st = self->state;
  if (!st.store->in_batch()) return;
  auto t0 = std::chrono::steady_clock::now();
  if (st.settings.slow_commit.count() > 0) std::this_thread::sleep_for(st.settings.slow_commit);
  try {
    st.store->commit();
  } catch (const storage::SqliteError& e) {
    ++st.errors;
    spdlog::error("queue commit failed ({} messages): {}", st.pending.size(), e.what());
    fail_batch(self, error_reply(e));
    return;
  }
  const auto sync_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  st.sync_us_total += sync_us;
  // Commit latency: from the oldest commit of this batch arriving to it being durable.
  uint64_t latency_us = 0;
  if (!st.pending.empty())
    latency_us =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - st.pending.front().arrived)
                                  .count());
  st.last_latency_us = latency_us;
  trace_batch(self, sync_us);
  std::vector<std::string> ids = std::move(st.bounces);
  st.bounces.clear();
  tell_recorded(self, true);
  ids.reserve(ids.size() + st.pending.size());
  auto now = std::chrono::steady_clock::now();
  for (auto& p : st.pending) {
    st.commit_latency.observe(now - p.arrived);
    st.bytes += p.size;
    p.promise.deliver(spool_reply{true, p.size, 250, "2.0.0", "Ok"});
    ids.push_back(std::move(p.id));
  }
  if (!st.pending.empty()) record_batch(st, st.pending.size());
  st.pending.clear();
  st.batch_bytes = 0;
  if (!ids.empty() && st.deliverer) self->send(st.deliverer, queued_atom::value, std::move(ids));
  if (!st.orphans.empty()) drop_orphans(self);
  if (st.spooler)
    self->send(st.spooler, depth_atom::value, uint64_t{self->mailbox().size()}, latency_us);
}

// Commits when nothing else is waiting (the batch cannot grow now), or when the batch is full.
// Otherwise a short timer commits it: content without a waiting commit need not be durable yet,
// and commits with messages behind them must not wait for those to be ones that commit (a
// get_stats request last in the mailbox left a batch of commits unanswered until the next
// client message: clients waiting for their 250 waited for ever).
void maybe_commit(Self self) {
  auto& st = self->state;
  uint64_t depth = self->mailbox().size();
  st.mailbox_high_water = std::max(st.mailbox_high_water, depth);
  if (!st.store->in_batch()) return;
  bool full =
      st.pending.size() >= st.settings.max_batch || st.batch_bytes >= st.settings.max_batch_bytes;
  if (full || (depth == 0 && !st.pending.empty())) {
    commit_batch(self);
  } else if (!st.flush_scheduled) {
    st.flush_scheduled = true;
    self->delayed_send(self, st.settings.idle_flush, flush_atom::value);
  }
}

// An operation threw: fail it, and the whole batch when SQLite rolled it back.
spool_reply operation_failed(Self self, const storage::SqliteError& e, const std::string& what) {
  auto& st = self->state;
  ++st.errors;
  spdlog::error("queue {} failed: {}", what, e.what());
  spool_reply r = error_reply(e);
  if (st.store->batch_lost_after_error()) fail_batch(self, r);
  return r;
}

// Removes the content of failed commits in a batch of its own; kept for the next try when that
// batch does not commit either.
void drop_orphans(Self self) {
  auto& st = self->state;
  std::vector<std::string> ids = std::move(st.orphans);
  st.orphans.clear();
  const uint64_t errors = st.errors;
  try {
    for (const auto& id : ids)
      st.store->abort(id, true);
  } catch (const storage::SqliteError& e) {
    operation_failed(self, e, "abort");
  }
  commit_batch(self);
  if (st.errors != errors)
    st.orphans.insert(st.orphans.end(), ids.begin(), ids.end());
  else if (!ids.empty())
    spdlog::info("queue: removed the stored part of {} message(s) whose commit failed", ids.size());
}

std::chrono::milliseconds sweep_interval(const SpoolSettings& s) {
  return std::clamp<std::chrono::milliseconds>(s.abandon_after / 4, std::chrono::milliseconds(100),
                                               std::chrono::minutes(1));
}

// Drops messages whose content stopped coming abandon_after ago; a commit that still arrives
// for one gets 451 (its content is gone). Their ids are forgotten after another abandon_after.
void sweep_abandoned(Self self) {
  auto& st = self->state;
  const auto now = std::chrono::steady_clock::now();
  while (!st.abandoned.empty() && now - st.abandoned.front().second > st.settings.abandon_after) {
    st.failed.erase(st.abandoned.front().first);
    st.abandoned.pop_front();
  }
  for (auto it = st.receiving.begin(); it != st.receiving.end();) {
    if (now - it->second < st.settings.abandon_after) {
      ++it;
      continue;
    }
    spdlog::warn(
        "queue: dropping {}: no content for {} s and no commit (its sender went away)", it->first,
        std::chrono::duration_cast<std::chrono::seconds>(st.settings.abandon_after).count());
    try {
      st.store->abort(it->first, true);
      st.failed.insert(it->first);
      st.abandoned.emplace_back(it->first, now);
      ++st.abandoned_total;
    } catch (const storage::SqliteError& e) {
      operation_failed(self, e, "abort");
    }
    it = st.receiving.erase(it);
  }
  maybe_commit(self);
}

spool_reply on_append(Self self, const std::string& id, const std::string& bytes) {
  auto& st = self->state;
  spool_reply r;
  if (st.failed.count(id)) {
    r = spool_local_error();
  } else {
    try {
      st.store->append(id, bytes, unix_now());
      st.receiving[id] = std::chrono::steady_clock::now();
      ++st.appends;
      st.batch_bytes += bytes.size();
    } catch (const storage::SqliteError& e) {
      r = operation_failed(self, e, "append");
    }
  }
  maybe_commit(self);
  return r;
}

// The commit is answered once the batch that holds it is durable (commit_batch).
caf::result<spool_reply> on_commit(Self self, storage::MessageMeta& meta,
                                   std::vector<storage::RoutedRecipient>& recipients,
                                   const std::string& tail) {
  auto& st = self->state;
  const std::string id = meta.id;
  const bool had_content = st.receiving.erase(id) > 0;  // appended in earlier turns
  if (st.failed.erase(id) > 0) {
    try {
      st.store->abort(id, true);
    } catch (const storage::SqliteError& e) {
      spdlog::warn("queue: removing failed message {} failed ({}); tried again later", id,
                   e.what());
      st.orphans.push_back(id);
    }
    maybe_commit(self);
    return spool_local_error();
  }
  try {
    uint64_t size = st.store->finish(std::move(meta), std::move(recipients), tail);
    st.batch_bytes += tail.size();
    auto promise = self->make_response_promise<spool_reply>();
    st.pending.push_back(PendingCommit{promise, id, size, std::chrono::steady_clock::now()});
    maybe_commit(self);
    return promise;
  } catch (const storage::SqliteError& e) {
    spool_reply r = operation_failed(self, e, "commit");
    // Content an earlier batch made durable stays behind; it goes with the next batch that
    // commits (not now: the queue may be locked or the disk full).
    if (had_content) st.orphans.push_back(id);
    maybe_commit(self);
    return r;
  }
}

void on_abort(Self self, const std::string& id) {
  auto& st = self->state;
  bool lost = st.failed.erase(id) > 0;
  st.receiving.erase(id);
  try {
    st.store->abort(id, lost);
    ++st.aborts;
  } catch (const storage::SqliteError& e) {
    operation_failed(self, e, "abort");
  }
  maybe_commit(self);
}

void on_delivered(Self self, const std::string& id,
                  const std::vector<storage::DeliveryResult>& results,
                  std::vector<queued_bounce>& notices) {
  auto& st = self->state;
  st.reported.push_back(id);  // told once the batch commits or fails, whatever happens here
  try {
    if (st.store->record_results(id, results, st.settings.keep_content, unix_now())) ++st.delivered;
    // Once only: the same failure reported again (after a crash) names the same bounce.
    for (auto& bounce : notices)
      if (!st.store->exists(bounce.meta.id)) {
        st.store->finish(bounce.meta, std::move(bounce.to), bounce.content);
        st.bounces.push_back(bounce.meta.id);
      }
  } catch (const storage::SqliteError& e) {
    operation_failed(self, e, "mark delivered");
    if (!st.store->in_batch()) tell_recorded(self, false);  // no batch will commit them
  }
  maybe_commit(self);
}

actor_stats writer_stats(Self self) {
  using metrics::Id;
  auto& st = self->state;
  actor_stats s;
  s.name = "queue_writer";
  s.mailbox = self->mailbox().size();
  s.mailbox_high_water = st.mailbox_high_water;
  metrics::Figures f;
  f.set(Id::writer_batches, st.batches);
  f.set(Id::writer_commits, st.commits);
  f.set(Id::writer_bytes, st.bytes);
  f.set(Id::writer_appends, st.appends);
  f.set(Id::writer_aborts, st.aborts);
  f.set(Id::writer_errors, st.errors);
  f.set(Id::delivered_marks, st.delivered);
  f.set(Id::largest_batch, st.largest_batch);
  f.set(Id::sync_time, st.sync_us_total);
  const Id buckets[] = {Id::batch_1,  Id::batch_4,   Id::batch_16,
                        Id::batch_64, Id::batch_256, Id::batch_more};
  for (size_t i = 0; i < std::size(buckets); ++i)
    f.set(buckets[i], st.batch_hist[i]);
  f.set(Id::receiving, st.store->receiving());
  f.set(Id::abandoned, st.abandoned_total);
  f.set(Id::last_commit_latency, st.last_latency_us);
  s.counters = std::move(f.values());
  s.handled = st.meter.handled;
  s.busy_us = st.meter.busy_us;
  s.histograms.push_back(to_stats(metrics::key(Id::commit_latency), st.commit_latency));
  return s;
}

queue_writer_actor::behavior_type writer_behavior(Self self,
                                                  std::shared_ptr<storage::QueueStore> store,
                                                  SpoolSettings settings) {
  self->state.store = std::move(store);
  self->state.settings = settings;
  self->delayed_send(self, sweep_interval(settings), scan_atom::value);
  return {
      [=](append_atom, const std::string& id, const std::string& bytes) {
        HandlerClock clock{self->state.meter};
        return on_append(self, id, bytes);
      },
      [=](commit_atom, storage::MessageMeta& meta,
          std::vector<storage::RoutedRecipient>& recipients, const std::string& tail) {
        HandlerClock clock{self->state.meter};
        return on_commit(self, meta, recipients, tail);
      },
      [=](abort_atom, const std::string& id) {
        HandlerClock clock{self->state.meter};
        on_abort(self, id);
      },
      [=](delivered_atom, const std::string& id,
          const std::vector<storage::DeliveryResult>& results,
          std::vector<queued_bounce>& notices) {
        HandlerClock clock{self->state.meter};
        on_delivered(self, id, results, notices);
      },
      [=](probe_atom) -> uint64_t {
        HandlerClock clock{self->state.meter};
        // Answered in mailbox order: the time it takes is the spooler's pressure reading.
        maybe_commit(self);
        return self->mailbox().size();
      },
      [=](flush_atom) {
        HandlerClock clock{self->state.meter};
        self->state.flush_scheduled = false;
        commit_batch(self);
      },
      [=](scan_atom) {
        HandlerClock clock{self->state.meter};
        sweep_abandoned(self);
        if (!self->state.orphans.empty()) drop_orphans(self);
        self->delayed_send(self, sweep_interval(self->state.settings), scan_atom::value);
      },
      [=](attach_atom, deliverer_actor d) { self->state.deliverer = std::move(d); },
      [=](attach_atom, depth_listener_actor spooler) { self->state.spooler = std::move(spooler); },
      [=](get_stats_atom) {
        actor_stats s = writer_stats(self);
        maybe_commit(self);  // it may be the last message behind a batch of commits
        return s;
      },
  };
}

}  // namespace

queue_writer_actor spawn_queue_writer(caf::actor_system& system,
                                      std::shared_ptr<storage::QueueStore> store,
                                      SpoolSettings settings) {
  return system.spawn<caf::detached>(writer_behavior, std::move(store), std::move(settings));
}

}  // namespace mailactor::actors
