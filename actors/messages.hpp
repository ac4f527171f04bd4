// The message vocabulary between mailactor's actors, in one place: atoms, payload types and the
// typed interfaces of the spooler, the queue writer, the deliverer and the stats actor.
//
//   broker  --(data | closed | drain | stop)-->  session
//   session --(write | read | close)-->          broker      (only from the registered session)
//   session --begin-->          spooler     --> spool_ticket{accepted, id, writer}
//   session --append/commit-->  queue_writer --> spool_reply (commit: only once durable)
//   session --abort-->          queue_writer
//   queue_writer --queued(ids)--> deliverer --delivered(id)--> queue_writer
//   queue_writer --depth(n)-->  spooler (admission control)
//   stats   --get_stats-->      every long-lived actor --> actor_stats
//   session, queue_writer, deliverer --trace--> tracer (per-message traces, when one runs)
#pragma once

#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <mailactor/auth.hpp>

#include "actors/actor_meter.hpp"
#include "actors/spool_reply.hpp"
#include "routing/router.hpp"
#include "storage/message_meta.hpp"
#include "storage/routed_recipient.hpp"
#include "trace/trace.hpp"

namespace mailactor::actors {

// Broker <-> session (the broker is dynamically typed, as CAF 0.17 brokers are).
using data_atom = caf::atom_constant<caf::atom("data")>;      // (data, std::vector<char>)
using closed_atom = caf::atom_constant<caf::atom("closed")>;  // the peer closed
using drain_atom = caf::atom_constant<caf::atom("drain")>;    // finish the transaction, then 421
using stop_atom = caf::atom_constant<caf::atom("stop")>;      // grace period over: 421 now
// (write, hdl, std::string bytes, uint32_t credit, bool mail_started): write the bytes, then,
// when credit > 0, let one more chunk of at most `credit` bytes through; mail_started: the
// session has sent MAIL at some point (never evicted under stress). One message for a reply and
// the read after it: every message to the broker is work on the one I/O thread.
using write_atom = caf::atom_constant<caf::atom("write")>;
using stress_atom = caf::atom_constant<caf::atom("stress")>;  // (stress, bool): under stress now
using evict_atom = caf::atom_constant<caf::atom("evict")>;    // table full: end if idle (421)
using hangup_atom = caf::atom_constant<caf::atom("hangup")>;  // (hangup, hdl): close after writes
using tick_atom = caf::atom_constant<caf::atom("tick")>;    // broker: read watch; session: timeouts
using beat_atom = caf::atom_constant<caf::atom("beat")>;    // broker: tick every session now
using greet_atom = caf::atom_constant<caf::atom("greet")>;  // greeting_delay over

// Spool.
using begin_atom = caf::atom_constant<caf::atom("begin")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;
using abort_atom = caf::atom_constant<caf::atom("abort")>;
using depth_atom = caf::atom_constant<caf::atom("depth")>;        // (depth, n, commit latency us)
using pressure_atom = caf::atom_constant<caf::atom("pressure")>;  // (pressure, uint8 level)
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;  // how busy is the writer now?
using flush_atom = caf::atom_constant<caf::atom("wflush")>;
using queued_atom = caf::atom_constant<caf::atom("queued")>;
using delivered_atom = caf::atom_constant<caf::atom("delivered")>;
// (recorded, ids, durable): the writer has committed (or lost) these messages' delivery results.
using recorded_atom = caf::atom_constant<caf::atom("recorded")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using work_atom = caf::atom_constant<caf::atom("work")>;
using scan_atom = caf::atom_constant<caf::atom("scan")>;

// Authentication.
using swap_atom = caf::atom_constant<caf::atom("swap")>;
using retire_atom = caf::atom_constant<caf::atom("retire")>;
using auth_done_atom = caf::atom_constant<caf::atom("authdone")>;

// Stats.
using get_stats_atom = caf::atom_constant<caf::atom("getstats")>;
// (get_stats, summary): the same picture without asking each live session (their states come
// from the session census, no slowest list): what the live page samples every second.
using summary_atom = caf::atom_constant<caf::atom("summary")>;
using count_atom = caf::atom_constant<caf::atom("count")>;
using list_atom = caf::atom_constant<caf::atom("list")>;  // broker: the live sessions

// Traces: (trace, Record) a part of a message's trace; (trace, ids, Event) one event for several
// messages (a group commit); (trace, id) -> the message's trace (none or one); (tsearch, text,
// limit) -> the recent traces that match, newest first, without their events but the last.
using trace_atom = caf::atom_constant<caf::atom("trace")>;
using trace_search_atom = caf::atom_constant<caf::atom("tsearch")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spool_reply& x) {
  return f(caf::meta::type_name("spool_reply"), x.ok, x.size, x.code, x.status, x.text);
}

// A latency histogram as reported: counts per bucket of kLatencyBoundsUs (actor_meter.hpp).
struct histogram_stats {
  std::string name;                           // e.g. "commit_latency"
  std::map<std::string, std::string> labels;  // e.g. backend=passwd-file
  std::vector<uint64_t> counts;
  uint64_t sum_us = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram_stats& x) {
  return f(caf::meta::type_name("histogram_stats"), x.name, x.labels, x.counts, x.sum_us);
}

inline histogram_stats to_stats(std::string name, const LatencyHistogram& h,
                                std::map<std::string, std::string> labels = {}) {
  return histogram_stats{std::move(name), std::move(labels),
                         std::vector<uint64_t>(h.counts.begin(), h.counts.end()), h.sum_us};
}

// One live session as seen when stats are collected.
struct session_view {
  std::string client;  // address:port
  std::string listener;
  std::string state;  // greeting, command, auth, tls, data
  uint64_t in_state_ms = 0;
  uint64_t connected_ms = 0;
  uint64_t messages = 0;
  uint64_t mailbox = 0;
  uint64_t handled = 0;
  uint64_t busy_us = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_view& x) {
  return f(caf::meta::type_name("session_view"), x.client, x.listener, x.state, x.in_state_ms,
           x.connected_ms, x.messages, x.mailbox, x.handled, x.busy_us);
}

// What an actor reports about itself.
struct actor_stats {
  std::string name;
  uint64_t mailbox = 0;             // its own mailbox().size() when asked
  uint64_t mailbox_high_water = 0;  // the largest it has seen
  uint64_t instances = 1;           // sessions: how many are live
  uint64_t handled = 0;             // messages its handlers processed
  uint64_t busy_us = 0;             // time spent in its handlers
  std::map<std::string, uint64_t> counters;
  std::vector<histogram_stats> histograms;
  std::vector<session_view> slowest;  // sessions only: longest in their current state first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, actor_stats& x) {
  return f(caf::meta::type_name("actor_stats"), x.name, x.mailbox, x.mailbox_high_water,
           x.instances, x.handled, x.busy_us, x.counters, x.histograms, x.slowest);
}

// The router run off the session's thread, for user sources that may block (Dovecot's userdb).
using resolver_actor =
    caf::typed_actor<caf::replies_to<resolve_atom, std::string>::with<routing::Resolution>>;

// One delivery attempt for some recipients of one message, all of one route (and target).
struct delivery_job {
  std::string id;                       // the queue id
  std::vector<uint32_t> idx;            // the recipients' rows
  std::vector<std::string> recipients;  // their final addresses, in the same order
  std::vector<std::string> targets;     // their route's targets (maildir: the mailbox)
  uint32_t queue_file = 0;              // the queue file that holds the message
  std::vector<std::string> originals;   // the recipients as the client gave them (RCPT TO)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_job& x) {
  return f(caf::meta::type_name("delivery_job"), x.id, x.idx, x.recipients, x.targets, x.queue_file,
           x.originals);
}

// A target's answer: one result per recipient of the job (delivered, pending = try again,
// failed = permanently), and how long the target worked on it.
struct delivery_report {
  std::vector<storage::DeliveryResult> results;
  uint64_t busy_us = 0;
  // No host of the destination could be reached (or would talk): the deliverer backs the
  // whole destination off instead of trying it again for every message.
  bool destination_down = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_report& x) {
  return f(caf::meta::type_name("delivery_report"), x.results, x.busy_us, x.destination_down);
}

// A bounce or success notice (RFC 3464 report) the deliverer made, queued by the writer in the
// same batch as the results that caused it.
struct queued_bounce {
  storage::MessageMeta meta;
  std::vector<storage::RoutedRecipient> to;
  std::string content;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queued_bounce& x) {
  return f(caf::meta::type_name("queued_bounce"), x.meta, x.to, x.content);
}

// Where messages go: the ingest Maildir, users' Maildirs, LMTP, SMTP relay. A target
// never answers for a recipient it was not given, and answers for every one it was given.
using delivery_target_actor =
    caf::typed_actor<caf::replies_to<deliver_atom, delivery_job>::with<delivery_report>>;

using deliverer_actor =
    caf::typed_actor<caf::reacts_to<queued_atom, std::vector<std::string>>,
                     caf::reacts_to<recorded_atom, std::vector<std::string>, bool>,
                     caf::reacts_to<work_atom>, caf::reacts_to<scan_atom>,
                     caf::reacts_to<tick_atom>, caf::replies_to<get_stats_atom>::with<actor_stats>>;

// Whoever wants to hear the writer's depth after each batch (the spooler).
using depth_listener_actor = caf::typed_actor<caf::reacts_to<depth_atom, uint64_t, uint64_t>>;

using queue_writer_actor = caf::typed_actor<
    caf::replies_to<append_atom, std::string, std::string>::with<spool_reply>,
    caf::replies_to<commit_atom, storage::MessageMeta, std::vector<storage::RoutedRecipient>,
                    std::string>::with<spool_reply>,
    caf::reacts_to<abort_atom, std::string>,
    caf::reacts_to<delivered_atom, std::string, std::vector<storage::DeliveryResult>,
                   std::vector<queued_bounce>>,
    caf::reacts_to<flush_atom>, caf::reacts_to<scan_atom>,
    caf::reacts_to<attach_atom, deliverer_actor>, caf::reacts_to<attach_atom, depth_listener_actor>,
    caf::replies_to<probe_atom>::with<uint64_t>,
    caf::replies_to<get_stats_atom>::with<actor_stats>>;

// Authentication: the backend interface is public (mailactor/auth.hpp).
using auth::auth_actor;
using auth::auth_request;
using auth::auth_result;
using auth::auth_status;
using auth::authenticate_atom;

// The stable actor sessions talk to; it delegates to the current backend and can swap it.
using auth_front_actor =
    caf::typed_actor<caf::replies_to<authenticate_atom, auth_request>::with<auth_result>,
                     caf::reacts_to<swap_atom, auth_actor, std::string>,
                     caf::reacts_to<retire_atom>,
                     caf::replies_to<get_stats_atom>::with<actor_stats>>;

// How loaded the spool is; every level keeps the ones below it in force.
enum class pressure : uint8_t {
  normal = 0,
  slow = 1,    // reads are paced: clients are slowed through TCP
  shed = 2,    // new transactions get 451 4.3.2
  refuse = 3,  // new connections get 421 4.3.2
};
const char* to_string(pressure p);

struct spool_ticket {
  bool accepted = false;  // false: answer `code status text` (451 4.3.2 shed, 450 4.7.1 rate)
  int code = 451;
  std::string status = "4.3.2";
  std::string text = "Try again later";
  std::string id;
  queue_writer_actor writer;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spool_ticket& x) {
  return f(caf::meta::type_name("spool_ticket"), x.accepted, x.code, x.status, x.text, x.id,
           x.writer);
}

using spooler_actor =
    caf::typed_actor<caf::replies_to<begin_atom, std::string, std::string>::with<spool_ticket>,
                     caf::reacts_to<depth_atom, uint64_t, uint64_t>,
                     caf::reacts_to<attach_atom, caf::actor>, caf::reacts_to<probe_atom>,
                     caf::replies_to<get_stats_atom>::with<actor_stats>>;

using stats_actor =
    caf::typed_actor<caf::reacts_to<count_atom, std::string, uint64_t>,
                     caf::reacts_to<count_atom, std::map<std::string, uint64_t>>,
                     caf::replies_to<get_stats_atom>::with<std::vector<actor_stats>>,
                     caf::replies_to<get_stats_atom, summary_atom>::with<std::vector<actor_stats>>>;

using tracer_actor = caf::typed_actor<
    caf::reacts_to<trace_atom, trace::Record>,
    caf::reacts_to<trace_atom, std::vector<std::string>, trace::Event>,
    caf::replies_to<trace_atom, std::string>::with<std::vector<trace::Record>>,
    caf::replies_to<trace_search_atom, std::string, uint32_t>::with<std::vector<trace::Record>>,
    caf::replies_to<get_stats_atom>::with<actor_stats>>;

}  // namespace mailactor::actors

namespace mailactor::trace {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Event& x) {
  return f(caf::meta::type_name("TraceEvent"), x.at_us, x.step, x.detail);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Record& x) {
  return f(caf::meta::type_name("TraceRecord"), x.id, x.mail_from, x.rcpt, x.client, x.events,
           x.events_dropped);
}
}  // namespace mailactor::trace

namespace mailactor::storage {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, MessageMeta& x) {
#define MAILACTOR_INSPECT_FIELD(type, name, what) , x.name
  return f(caf::meta::type_name("MessageMeta")
               MAILACTOR_MESSAGE_META_FIELDS(MAILACTOR_INSPECT_FIELD));
#undef MAILACTOR_INSPECT_FIELD
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, RoutedRecipient& x) {
#define MAILACTOR_INSPECT_RECIPIENT_FIELD(name, column, what) , x.name
  return f(caf::meta::type_name("RoutedRecipient")
               MAILACTOR_ROUTED_RECIPIENT_FIELDS(MAILACTOR_INSPECT_RECIPIENT_FIELD));
#undef MAILACTOR_INSPECT_RECIPIENT_FIELD
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, DeliveryResult& x) {
  return f(caf::meta::type_name("DeliveryResult"), x.idx, x.state, x.next_attempt_at, x.code,
           x.enhanced, x.text, x.host, x.success_notice);
}
}  // namespace mailactor::storage

namespace mailactor::routing {
// By its name (a route is its name).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Route& x) {
  std::string name = x.name();
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x = Route::plugin(name);
    return caf::none;
  });
  return f(caf::meta::type_name("Route"), name, load);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, FinalRecipient& x) {
  return f(caf::meta::type_name("FinalRecipient"), x.address, x.route, x.target);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, Resolution& x) {
  return f(caf::meta::type_name("Resolution"), x.kind, x.recipients, x.steps);
}
}  // namespace mailactor::routing
