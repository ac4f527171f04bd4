// The broker's state and the functions that share it, split by concern over broker.cpp (the
// behavior: which message goes where), broker_admission.cpp (accepting, limits, refusing),
// broker_reading.cpp (credits, held chunks, the lost-trigger watch), broker_writing.cpp (replies
// straight to the socket) and broker_lifecycle.cpp (beat, drain, stop, stats). Internal to
// actors/: include broker.hpp to spawn the broker.
#pragma once

#include <caf/io/broker.hpp>
#include <caf/io/system_messages.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/actor_meter.hpp"
#include "actors/broker/broker.hpp"
#include "actors/broker/session_ledger.hpp"
#include "actors/session/session.hpp"

namespace mailactor::actors::broker_detail {

using caf::io::accept_handle;
using caf::io::connection_handle;
using Self = caf::io::broker;

// Reading: scribes read continuously and the broker hands a session one chunk per credit. A
// chunk that arrives without credit is held here; once a connection holds `read_chunk` bytes it
// is halted, so a client that sends faster than its session works is slowed by TCP and costs at
// most two chunks of memory. (Per-read trigger(hdl, 1) was tried first: it costs epoll_ctl calls
// per read and, worse, CAF 0.17.6 loses a trigger that runs in the same multiplexer round as the
// scribe's passivation — stream::activate() is a no-op while the pending EPOLL_CTL_DEL has not
// reset its reader yet — which hung about 2% of reads under concurrency.)
struct Connection {
  accept_handle listener;
  std::string peer;
  caf::actor session;
  caf::actor_addr address;
  size_t hold_limit = 64 * 1024;
  uint64_t chunks = 0;  // chunks received from the socket so far
  bool credit = false;  // the session asked for a chunk
  std::deque<std::vector<char>> held;
  size_t held_bytes = 0;
  bool halted = false;
  bool caf_writing = false;      // CAF holds unsent output: new output queues behind it (send_now)
  uint32_t deferred_credit = 0;  // a read credit waiting for that output to drain
  // For stress (broker_lifecycle.cpp): when the client last sent anything, whether the session
  // has sent MAIL (then it is never evicted), whether it was asked to make room already.
  std::chrono::steady_clock::time_point last_input = std::chrono::steady_clock::now();
  bool mail_started = false;
  bool evicting = false;
};

// After a halted connection is triggered again, the same CAF race can swallow the trigger; the
// watch re-triggers it if no chunk arrives although the socket has bytes (or EOF) waiting.
struct ReadWatch {
  connection_handle hdl;
  uint64_t chunks_then;
  std::chrono::steady_clock::time_point next;
  std::chrono::milliseconds backoff;
};

// One listening socket and the limits that apply to its connections.
// What it holds in use and per address is counted in the SessionLedger (shared by the brokers of
// all I/O threads); the rest is this broker's own.
struct Listener {
  std::string name;
  size_t index = 0;  // in BrokerSettings::listeners and the ledger
  std::shared_ptr<const SessionSettings> session;
  ListenerLimits limits;
  ProxyProtocolSettings proxy;
  bool paused = false;
  uint64_t accepted = 0;
  uint64_t taken_at_last_beat = 0;  // accepted + refused at the last beat
  uint64_t refused = 0;             // by any limit or pressure
};

// A connection on a PROXY-protocol listener whose header has not arrived in full yet: no session
// exists, and at most kMaxProxyHeader bytes are kept.
struct PendingProxy {
  accept_handle listener;
  std::string balancer;  // the socket's peer, for logs
  std::string received;
  std::chrono::steady_clock::time_point deadline;
};

// What a new session is spawned with besides its connection.
struct SessionPeers {
  spooler_actor spooler;
  stats_actor stats;
  auth_front_actor auth;
};

struct BrokerState {
  std::shared_ptr<const BrokerSettings> settings;
  std::shared_ptr<SessionLedger> ledger;
  SessionPeers peers;
  std::unordered_map<accept_handle, Listener> listeners;
  std::unordered_map<connection_handle, Connection> connections;
  std::unordered_map<connection_handle, PendingProxy> pending_proxy;
  // Accepted while every slot was taken (by the brokers of other I/O threads, which this one
  // learns of only when it takes a slot): no session, nothing read or written until a slot frees.
  // At most a few: accepting pauses as soon as one is parked.
  std::deque<caf::io::new_connection_msg> parked;
  uint64_t refused_per_ip = 0;
  uint64_t refused_pressure = 0;
  uint64_t refused_rate = 0;
  uint64_t refused_proxy = 0;  // untrusted balancer, bad or missing PROXY header
  pressure level = pressure::normal;
  bool global_full = false;
  bool draining = false;
  bool stopping = false;
  uint64_t accepted = 0;
  std::chrono::milliseconds beat{1000};  // how often every session is ticked
  std::vector<ReadWatch> watches;
  bool watch_tick_scheduled = false;
  uint64_t lost_triggers = 0;
  uint64_t lost_accept_triggers = 0;
  bool stressed = false;  // sessions in use past stress_percent of max_sessions
  uint64_t stress_changes = 0;
  uint64_t evicted = 0;  // idle sessions asked to make room
  HandlerMeter meter;
};

// Which broker a log line is from when there are several (" (I/O thread 2)"); empty for the first.
std::string io_note(const BrokerState& st);

// broker_admission.cpp
void add_listeners(Self* self, BrokerState& st);
void admit(Self* self, BrokerState& st, const caf::io::new_connection_msg& msg);
void admit_parked(Self* self, BrokerState& st);  // as long as slots are free
void update_accepting(Self* self, BrokerState& st);
// Refuses (421) or spawns the session for a connection whose client is `peer`; `early` are bytes
// the client sent already (after a PROXY header).
void start_session(Self* self, BrokerState& st, accept_handle listener, const SessionPeer& peer,
                   std::vector<char> early);
// A listener that should accept but accepted nothing since the last beat while clients wait in
// its backlog is triggered again (CAF 0.17.6 can lose a trigger that follows a halt closely).
void repair_accepting(Self* self, BrokerState& st);
bool clients_waiting(accept_handle hdl);  // clients wait in the listener's backlog
void forget(Self* self, BrokerState& st, connection_handle hdl);
// The connection's entry, only when the current message comes from its own session: the one
// check that keeps a late write or close of a finished session away from a new connection that
// reuses its fd number.
Connection* registered(Self* self, BrokerState& st, connection_handle hdl);

// broker_reading.cpp
void start_reading(Self* self, connection_handle hdl, size_t size);
void on_data(Self* self, BrokerState& st, caf::io::new_data_msg& msg);
void on_closed(Self* self, BrokerState& st, connection_handle hdl);
void take_credit(Self* self, BrokerState& st, connection_handle hdl, Connection& c, uint32_t size);
void grant(Self* self, BrokerState& st, connection_handle hdl, Connection& c);
void check_watches(Self* self, BrokerState& st);

// broker_proxy.cpp
// Whether the new connection's listener wants a PROXY header; then it is awaited (or refused).
bool await_proxy_header(Self* self, BrokerState& st, Listener& l,
                        const caf::io::new_connection_msg& msg);
// Whether the data belonged to a connection still awaiting its header (consumed then).
bool on_proxy_data(Self* self, BrokerState& st, caf::io::new_data_msg& msg);
// Whether the closed connection was still awaiting its header (then it is forgotten, logged).
bool proxy_closed(Self* self, BrokerState& st, connection_handle hdl);
void expire_proxy_headers(Self* self, BrokerState& st);  // on the beat
void close_proxy_pending(Self* self, BrokerState& st);   // on drain

// broker_writing.cpp
void on_write(Self* self, BrokerState& st, connection_handle hdl, const std::string& bytes,
              uint32_t credit, bool mail_started);
void on_transferred(Self* self, BrokerState& st, const caf::io::data_transferred_msg& msg);

// broker_lifecycle.cpp
void beat(Self* self, BrokerState& st);  // ticks every session, updates stress, evicts
void drain(Self* self, BrokerState& st);
void stop(Self* self, BrokerState& st);
actor_stats broker_stats(Self* self, const BrokerState& st);

}  // namespace mailactor::actors::broker_detail
