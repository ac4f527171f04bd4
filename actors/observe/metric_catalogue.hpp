// Every figure the actors report, declared once: who reports it, its key in actor_stats::counters
// (and /stats.json), its Prometheus family, kind, unit, label and help. Actors set figures through
// the typed ids (Figures::set); /metrics, `mailactor stats`, the stats actor's merging and
// docs/metrics.md all read this list, and a test fails on a key that is not in it.
//
// How to add a metric: one line here, and the Figures::set (or count) that reports it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mailactor::metrics {

enum class Kind {
  counter,    // a running total
  gauge,      // a level now; added up over actors of a kind (I/O threads' brokers)
  level,      // a level or highest value; the highest over actors of a kind
  histogram,  // an actor_stats histogram of this name
  bucket,     // one bucket of a histogram made of counters (the queue writer's batch sizes)
  actor,      // from actor_stats' own fields (mailbox, instances), not from a counter
};
enum class Unit { one, micros };  // micros: reported in µs, exposed in seconds

// X(id, actor, key, family, kind, unit, label, help). In `key`, "{}" is where the label's value
// goes ("listener:{}:sessions"); a label "route;result=delivered" adds a fixed one.
#define MAILACTOR_METRICS(X)                                                                       \
  X(up, "*", "", "mailactor_up", actor, one, "", "1 while mailactor answers scrapes")              \
  X(actor_instances, "*", "", "mailactor_actor_instances", actor, one, "actor",                    \
    "Live actors of the kind")                                                                     \
  X(actor_mailbox_depth, "*", "", "mailactor_actor_mailbox_depth", actor, one, "actor",            \
    "Messages waiting in the actor's mailbox (sessions: all of them together)")                    \
  X(actor_mailbox_high_water, "*", "", "mailactor_actor_mailbox_high_water", actor, one, "actor",  \
    "Largest mailbox depth the actor has seen")                                                    \
  X(actor_handled, "*", "", "mailactor_actor_messages_handled_total", actor, one, "actor",         \
    "Messages the actor's handlers processed")                                                     \
  X(actor_busy, "*", "", "mailactor_actor_busy_seconds_total", actor, micros, "actor",             \
    "Time spent in the actor's handlers")                                                          \
  X(sessions_active, "sessions", "", "mailactor_sessions_active", actor, one, "", "Live sessions") \
  X(session_slowest, "sessions", "", "mailactor_session_slowest_seconds", actor, one,              \
    "rank,client,listener,state",                                                                  \
    "The sessions longest in their current state (rank 1 is the longest)")                         \
  X(sessions_in_state, "sessions", "state_{}", "mailactor_sessions_in_state", gauge, one, "state", \
    "Live sessions by what they do now")                                                           \
  X(sessions_closed, "sessions", "sessions_closed", "mailactor_sessions_sessions_closed_total",    \
    counter, one, "", "Sessions that ended")                                                       \
  X(messages_queued, "sessions", "messages_queued", "mailactor_sessions_messages_queued_total",    \
    counter, one, "", "Messages accepted (250 after DATA/BDAT)")                                   \
  X(early_talkers, "sessions", "early_talkers", "mailactor_sessions_early_talkers_total", counter, \
    one, "", "Clients that spoke before the greeting (554 5.5.0)")                                 \
  X(evicted_idle, "sessions", "evicted_idle", "mailactor_sessions_evicted_idle_total", counter,    \
    one, "", "Idle sessions ended under stress to make room")                                      \
  X(asked_for_stats, "sessions", "asked_for_stats", "mailactor_sessions_asked_for_stats_total",    \
    counter, one, "", "Times live sessions were asked for their figures")                          \
  X(auth_failures, "sessions", "auth_failures", "mailactor_auth_failures_total", counter, one, "", \
    "Failed AUTH attempts")                                                                        \
  X(tls_handshakes, "sessions", "tls_handshakes", "mailactor_sessions_tls_handshakes_total",       \
    counter, one, "", "TLS handshakes completed")                                                  \
  X(tls_handshake_failures, "sessions", "tls_handshake_failures",                                  \
    "mailactor_sessions_tls_handshake_failures_total", counter, one, "",                           \
    "TLS handshakes that failed")                                                                  \
  X(tls_errors, "sessions", "tls_errors", "mailactor_sessions_tls_errors_total", counter, one, "", \
    "TLS errors after the handshake")                                                              \
  X(tls_protocol, "sessions", "tls_{}", "mailactor_tls_protocol_total", counter, one, "protocol",  \
    "TLS handshakes by protocol")                                                                  \
  X(rejections, "sessions", "reply_{}", "mailactor_smtp_rejections_total", counter, one, "code",   \
    "4xx/5xx replies sent, by reply code")                                                         \
  X(broker_sessions, "broker", "sessions", "mailactor_broker_sessions", gauge, one, "",            \
    "Live connections")                                                                            \
  X(broker_accepted, "broker", "accepted", "mailactor_broker_accepted_total", counter, one, "",    \
    "Connections accepted")                                                                        \
  X(refused_per_ip, "broker", "refused_per_ip", "mailactor_broker_refused_per_ip_total", counter,  \
    one, "", "Connections refused: too many from one address")                                     \
  X(refused_pressure, "broker", "refused_pressure", "mailactor_broker_refused_pressure_total",     \
    counter, one, "", "Connections refused: the spool is overloaded")                              \
  X(refused_rate, "broker", "refused_rate", "mailactor_broker_refused_rate_total", counter, one,   \
    "", "Connections refused: connection rate of one address")                                     \
  X(refused_proxy, "broker", "refused_proxy", "mailactor_broker_refused_proxy_total", counter,     \
    one, "", "Connections closed: bad or missing PROXY header")                                    \
  X(awaiting_proxy_header, "broker", "awaiting_proxy_header",                                      \
    "mailactor_broker_awaiting_proxy_header", gauge, one, "",                                      \
    "Connections waiting for their PROXY header")                                                  \
  X(parked, "broker", "parked", "mailactor_broker_parked", gauge, one, "",                         \
    "Connections waiting for a session slot")                                                      \
  X(lost_triggers, "broker", "lost_triggers_repaired",                                             \
    "mailactor_broker_lost_triggers_repaired_total", counter, one, "",                             \
    "Read triggers CAF lost and the broker renewed")                                               \
  X(lost_accept_triggers, "broker", "lost_accept_triggers_repaired",                               \
    "mailactor_broker_lost_accept_triggers_repaired_total", counter, one, "",                      \
    "Accept triggers CAF lost and the broker renewed")                                             \
  X(stress, "broker", "stress", "mailactor_broker_stress", level, one, "",                         \
    "1 while the session table is under stress")                                                   \
  X(stress_changes, "broker", "stress_changes", "mailactor_broker_stress_changes_total", counter,  \
    one, "", "Times stress began or ended")                                                        \
  X(broker_evicted_idle, "broker", "evicted_idle", "mailactor_broker_evicted_idle_total", counter, \
    one, "", "Idle sessions the broker ended under stress to make room")                           \
  X(listener_sessions, "broker", "listener:{}:sessions", "mailactor_listener_sessions", gauge,     \
    one, "listener", "Live sessions per listener")                                                 \
  X(listener_accepted, "broker", "listener:{}:accepted", "mailactor_listener_accepted_total",      \
    counter, one, "listener", "Connections per listener: accepted")                                \
  X(listener_refused, "broker", "listener:{}:refused", "mailactor_listener_refused_total",         \
    counter, one, "listener", "Connections per listener: refused")                                 \
  X(spooler_tickets, "spooler", "tickets", "mailactor_spooler_tickets_total", counter, one, "",    \
    "Transactions given a queue writer")                                                           \
  X(spooler_shed, "spooler", "shed", "mailactor_spooler_shed_total", counter, one, "",             \
    "Transactions refused under overload (451 4.3.2)")                                             \
  X(writer_depth, "spooler", "writer_depth", "mailactor_spooler_writer_depth", gauge, one, "",     \
    "Requests waiting at the busiest queue writer")                                                \
  X(rate_limited, "spooler", "rate_limited", "mailactor_spooler_rate_limited_total", counter, one, \
    "", "Messages refused by max_message_rate_per_ip (450 4.7.1)")                                 \
  X(pressure_level, "spooler", "pressure_level", "mailactor_spooler_pressure_level", gauge, one,   \
    "", "Overload level: 0 normal, 1 slow, 2 shed, 3 refuse")                                      \
  X(pressure_changes, "spooler", "pressure_changes", "mailactor_spooler_pressure_changes_total",   \
    counter, one, "", "Changes of the overload level")                                             \
  X(spooler_commit_latency, "spooler", "commit_latency_us",                                        \
    "mailactor_spooler_commit_latency_seconds", gauge, micros, "",                                 \
    "Commit latency of the slowest queue writer now")                                              \
  X(writer_batches, "queue_writer", "batches", "mailactor_queue_writer_batches_total", counter,    \
    one, "", "Group commits (one sync each)")                                                      \
  X(writer_commits, "queue_writer", "commits", "mailactor_queue_writer_commits_total", counter,    \
    one, "", "Messages made durable")                                                              \
  X(writer_bytes, "queue_writer", "bytes", "mailactor_queue_writer_bytes_total", counter, one, "", \
    "Content bytes written")                                                                       \
  X(writer_appends, "queue_writer", "appends", "mailactor_queue_writer_appends_total", counter,    \
    one, "", "Content pieces appended")                                                            \
  X(writer_aborts, "queue_writer", "aborts", "mailactor_queue_writer_aborts_total", counter, one,  \
    "", "Transactions aborted before their commit")                                                \
  X(writer_errors, "queue_writer", "errors", "mailactor_queue_writer_errors_total", counter, one,  \
    "", "Queue writes that failed")                                                                \
  X(delivered_marks, "queue_writer", "delivered_marks",                                            \
    "mailactor_queue_writer_delivered_marks_total", counter, one, "",                              \
    "Delivery results written to the queue")                                                       \
  X(largest_batch, "queue_writer", "largest_batch", "mailactor_queue_writer_largest_batch", level, \
    one, "", "Most messages made durable by one sync")                                             \
  X(sync_time, "queue_writer", "sync_us_total", "mailactor_queue_writer_sync_seconds_total",       \
    counter, micros, "", "Time spent making batches durable")                                      \
  X(batch_1, "queue_writer", "batch_size_1", "mailactor_queue_writer_batch_size", bucket, one,     \
    "le=1", "Messages made durable per group commit (one sync)")                                   \
  X(batch_4, "queue_writer", "batch_size_2_4", "mailactor_queue_writer_batch_size", bucket, one,   \
    "le=4", "")                                                                                    \
  X(batch_16, "queue_writer", "batch_size_5_16", "mailactor_queue_writer_batch_size", bucket, one, \
    "le=16", "")                                                                                   \
  X(batch_64, "queue_writer", "batch_size_17_64", "mailactor_queue_writer_batch_size", bucket,     \
    one, "le=64", "")                                                                              \
  X(batch_256, "queue_writer", "batch_size_65_256", "mailactor_queue_writer_batch_size", bucket,   \
    one, "le=256", "")                                                                             \
  X(batch_more, "queue_writer", "batch_size_gt_256", "mailactor_queue_writer_batch_size", bucket,  \
    one, "le=+Inf", "")                                                                            \
  X(receiving, "queue_writer", "receiving", "mailactor_queue_writer_receiving", gauge, one, "",    \
    "Messages whose content is arriving")                                                          \
  X(abandoned, "queue_writer", "abandoned", "mailactor_queue_writer_abandoned_total", counter,     \
    one, "", "Content dropped without a commit (abandon_after)")                                   \
  X(last_commit_latency, "queue_writer", "last_commit_latency_us",                                 \
    "mailactor_queue_writer_last_commit_latency_seconds", level, micros, "",                       \
    "Latency of the last group commit")                                                            \
  X(commit_latency, "queue_writer", "commit_latency",                                              \
    "mailactor_queue_writer_commit_latency_seconds", histogram, micros, "",                        \
    "Oldest waiting commit to durable, per group commit")                                          \
  X(deliveries_delivered, "deliverer", "delivered_{}", "mailactor_deliveries_total", counter, one, \
    "route;result=delivered",                                                                      \
    "Delivery results per recipient: delivered, deferred (tried again later), failed (for "        \
    "good), expired (past the queue lifetime)")                                                    \
  X(deliveries_deferred, "deliverer", "deferred_{}", "mailactor_deliveries_total", counter, one,   \
    "route;result=deferred", "")                                                                   \
  X(deliveries_failed, "deliverer", "failed_{}", "mailactor_deliveries_total", counter, one,       \
    "route;result=failed", "")                                                                     \
  X(deliveries_expired, "deliverer", "expired_{}", "mailactor_deliveries_total", counter, one,     \
    "route;result=expired", "")                                                                    \
  X(delivered, "deliverer", "delivered", "mailactor_deliverer_delivered_total", counter, one, "",  \
    "Recipients delivered")                                                                        \
  X(backlog, "deliverer", "backlog", "mailactor_deliverer_backlog", gauge, one, "",                \
    "Recipients due and waiting for a delivery target")                                            \
  X(in_flight, "deliverer", "in_flight", "mailactor_deliverer_in_flight", gauge, one, "",          \
    "Delivery jobs out to the targets")                                                            \
  X(relay_waiting, "deliverer", "relay_waiting", "mailactor_deliverer_relay_waiting", gauge, one,  \
    "", "Relay jobs waiting for a connection slot")                                                \
  X(queue_recipients, "deliverer", "queue_{}", "mailactor_queue_recipients", gauge, one, "state",  \
    "Recipients of queued messages by state (pending, held, delivered, failed, ...)")              \
  X(oldest_pending, "deliverer", "oldest_pending_age_s", "mailactor_queue_oldest_pending_seconds", \
    level, one, "", "Age of the oldest message with a recipient still to deliver (0: none)")       \
  X(success_notices, "deliverer", "success_notices", "mailactor_deliverer_success_notices_total",  \
    counter, one, "", "Success notices (NOTIFY=SUCCESS) sent")                                     \
  X(bounces, "deliverer", "bounces", "mailactor_deliverer_bounces_total", counter, one, "",        \
    "Bounces (failure notices) sent")                                                              \
  X(bounces_not_sent, "deliverer", "bounces_not_sent",                                             \
    "mailactor_deliverer_bounces_not_sent_total", counter, one, "",                                \
    "Bounces that could not be queued")                                                            \
  X(backed_off, "deliverer", "destinations_backed_off",                                            \
    "mailactor_deliverer_destinations_backed_off_total", counter, one, "",                         \
    "Times a destination was left alone after no host answered")                                   \
  X(recovered, "deliverer", "recovered_at_start", "mailactor_deliverer_recovered_at_start_total",  \
    counter, one, "", "Recipients found due at start")                                             \
  X(delivery_latency, "deliverer", "delivery_latency",                                             \
    "mailactor_deliverer_delivery_latency_seconds", histogram, micros, "",                         \
    "Time a delivery job took at its target")                                                      \
  X(auth_requests, "auth_front", "requests", "mailactor_auth_front_requests_total", counter, one,  \
    "", "AUTH checks asked for")                                                                   \
  X(auth_ok, "auth_front", "ok", "mailactor_auth_front_ok_total", counter, one, "",                \
    "AUTH checks passed")                                                                          \
  X(auth_invalid, "auth_front", "invalid", "mailactor_auth_front_invalid_total", counter, one, "", \
    "AUTH checks refused (535)")                                                                   \
  X(auth_temporary, "auth_front", "temporary_failure",                                             \
    "mailactor_auth_front_temporary_failure_total", counter, one, "",                              \
    "AUTH checks that failed temporarily (454)")                                                   \
  X(auth_timeouts, "auth_front", "timeouts", "mailactor_auth_front_timeouts_total", counter, one,  \
    "", "AUTH checks the backend did not answer in time")                                          \
  X(auth_swaps, "auth_front", "swaps", "mailactor_auth_front_swaps_total", counter, one, "",       \
    "Auth backends swapped (SIGHUP)")                                                              \
  X(locked_out, "auth_front", "locked_out", "mailactor_auth_front_locked_out_total", counter, one, \
    "", "AUTH refused without asking: address or network locked out")                              \
  X(locked_now, "auth_front", "locked_now", "mailactor_auth_front_locked_now", gauge, one, "",     \
    "Addresses and networks locked out now")                                                       \
  X(backend_latency, "auth_front", "backend_latency",                                              \
    "mailactor_auth_front_backend_latency_seconds", histogram, micros, "backend",                  \
    "Time the auth backend took per check")                                                        \
  X(trace_parts, "tracer", "trace_parts", "mailactor_tracer_trace_parts_total", counter, one, "",  \
    "Trace events recorded")                                                                       \
  X(traced_messages, "tracer", "traced_messages", "mailactor_tracer_traced_messages", gauge, one,  \
    "", "Messages whose path is kept in memory")                                                   \
  X(forgotten_messages, "tracer", "forgotten_messages",                                            \
    "mailactor_tracer_forgotten_messages_total", counter, one, "",                                 \
    "Traces dropped to stay within trace_messages")                                                \
  X(remote_nodes, "remote_spool", "nodes", "mailactor_remote_spool_nodes", gauge, one, "",         \
    "Spool nodes configured")                                                                      \
  X(remote_nodes_up, "remote_spool", "nodes_up", "mailactor_remote_spool_nodes_up", gauge, one,    \
    "", "Spool nodes linked now")                                                                  \
  X(remote_tickets, "remote_spool", "tickets", "mailactor_remote_spool_transactions_total",        \
    counter, one, "", "Transactions sent to spool nodes, all nodes together")                      \
  X(remote_unavailable, "remote_spool", "unavailable", "mailactor_remote_spool_unavailable_total", \
    counter, one, "", "Transactions refused: no spool node linked")                                \
  X(node_up, "remote_spool", "node:{}:up", "mailactor_remote_spool_up", gauge, one, "node",        \
    "Per spool node, as the edge sees it: 1 while linked")                                         \
  X(node_tickets, "remote_spool", "node:{}:tickets", "mailactor_remote_spool_tickets_total",       \
    counter, one, "node", "Per spool node: transactions sent to it")                               \
  X(node_failures, "remote_spool", "node:{}:failures", "mailactor_remote_spool_failures_total",    \
    counter, one, "node", "Per spool node: requests that failed")                                  \
  X(node_connects, "remote_spool", "node:{}:connects", "mailactor_remote_spool_connects_total",    \
    counter, one, "node", "Per spool node: links made")                                            \
  X(node_link_losses, "remote_spool", "node:{}:link_losses",                                       \
    "mailactor_remote_spool_link_losses_total", counter, one, "node",                              \
    "Per spool node: links lost")                                                                  \
  X(node_writer_depth, "remote_spool", "node:{}:writer_depth",                                     \
    "mailactor_remote_spool_writer_depth", gauge, one, "node",                                     \
    "Per spool node: its spooler's writer_depth")                                                  \
  X(node_pressure, "remote_spool", "node:{}:pressure_level",                                       \
    "mailactor_remote_spool_pressure_level", gauge, one, "node",                                   \
    "Per spool node: its overload level")                                                          \
  X(node_commit_latency, "remote_spool", "node:{}:commit_latency_us",                              \
    "mailactor_remote_spool_commit_latency_now_seconds", gauge, micros, "node",                    \
    "Per spool node: its commit latency now")                                                      \
  X(node_shed, "remote_spool", "node:{}:shed", "mailactor_remote_spool_shed_total", counter, one,  \
    "node", "Per spool node: transactions it shed")                                                \
  X(node_commit_histogram, "remote_spool", "commit_latency",                                       \
    "mailactor_remote_spool_commit_latency_seconds", histogram, micros, "node",                    \
    "Per spool node: its queue writers' commit latency")

enum class Id {
#define MAILACTOR_METRIC_ID(id, ...) id,
  MAILACTOR_METRICS(MAILACTOR_METRIC_ID)
#undef MAILACTOR_METRIC_ID
};

struct Metric {
  Id id;
  std::string actor;
  std::string key;
  std::string family;
  Kind kind;
  Unit unit;
  std::string label;                                // the key's label, or ""
  std::map<std::string, std::string> fixed_labels;  // "result" = "delivered"
  std::string help;                                 // the family's (its first line's)
};

const std::vector<Metric>& catalogue();
const Metric& metric(Id id);

// The key an actor reports `id` under; with the label's value for a labelled one.
const std::string& key(Id id);
std::string key(Id id, const std::string& label);

// The metric `actor` reports as `key`, and the label's value; nothing when none is declared.
struct Match {
  const Metric* metric;
  std::string label;
};
std::optional<Match> find(const std::string& actor, const std::string& key);

// A running total (Prometheus' counter): the counters, and the actor figures named *_total.
bool is_total(const Metric& m);

// A figure of this metric is a level (merged over actors of a kind by taking the highest).
bool is_level(const std::string& actor, const std::string& key);

// Figures an actor reports, set through the catalogue's ids only.
class Figures {
 public:
  void set(Id id, uint64_t value) { values_[key(id)] = value; }
  void set(Id id, const std::string& label, uint64_t value) { values_[key(id, label)] = value; }
  void add(Id id, uint64_t delta = 1) { values_[key(id)] += delta; }
  void add(Id id, const std::string& label, uint64_t delta = 1) {
    values_[key(id, label)] += delta;
  }
  std::map<std::string, uint64_t>& values() { return values_; }

 private:
  std::map<std::string, uint64_t> values_;
};

}  // namespace mailactor::metrics
