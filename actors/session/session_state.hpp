// The session actor's state and the functions that share it, split by concern over
// session.cpp (reads, writes, timers, the action loop), session_spool.cpp (the spool
// transaction), session_auth.cpp (AUTH and sender ownership) and session_tls.cpp (TLS).
// Internal to actors/: include session.hpp to spawn sessions.
#pragma once

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include "actors/observe/metric_catalogue.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "actors/actor_meter.hpp"
#include "actors/session/session.hpp"
#include "actors/session/session_trace.hpp"
#include "actors/session/spool_transaction.hpp"
#include "actors/tls/tls_stream.hpp"
#include "protocol/engine.hpp"

namespace mailactor::actors {
struct RecipientDecision;
}

namespace mailactor::actors::session_detail {

using Clock = std::chrono::steady_clock;
using protocol::Action;
using protocol::Actions;
namespace action = protocol::action;

struct SessionState {
  static inline const char* name = "session";

  std::unique_ptr<protocol::Engine> engine;
  caf::actor broker;
  SessionPeer peer;
  std::shared_ptr<const SessionSettings> settings;
  spooler_actor spooler;
  stats_actor stats;
  auth_front_actor auth;
  size_t auth_failures = 0;
  std::unique_ptr<tls::TlsStream> tls;  // set from STARTTLS (or the first byte, implicit TLS) on

  // The performing loop: actions run in order; results of synchronous decisions append theirs.
  std::deque<Action> todo;
  bool performing = false;
  size_t in_flight = 0;  // requests out to the spooler / writer: no reads meanwhile

  // The spool side of the current MAIL (ticket at MAIL, content streamed later) and the writer
  // its ticket named; a spool node's writer is monitored while the transaction lasts.
  SpoolTransaction spool;
  queue_writer_actor writer;

  // Connection.
  std::string outbox;  // replies not yet handed to the broker (see write_raw)
  bool read_requested = false;
  bool greeting_pending = false;  // greeting_delay running: any input now is early talk
  bool closed = false;
  bool draining = false;
  Clock::time_point waiting_since = Clock::now();
  Clock::time_point connected = Clock::now();
  std::string logged_helo;
  uint64_t messages = 0;
  std::map<std::string, uint64_t> rejections;  // by reply code
  bool mail_started = false;  // sent MAIL at some point: never evicted under stress
  bool stressed = false;      // the broker's session table is nearly full

  // Monitoring: what the session does now and since when, and its handler time.
  const char* activity = "greeting";
  Clock::time_point activity_since = Clock::now();
  CensusEntry census;  // the session's state in the server-wide census
  HandlerMeter meter;
  SessionTrace trace;  // the open transaction's steps, for the tracer
};

using Self = caf::stateful_actor<SessionState>;

// session.cpp
void perform(Self* self, Actions actions);
void note_activity(Self* self);             // after anything that may change what the session does
void write(Self* self, std::string bytes);  // replies: encrypted once TLS is up
void write_raw(Self* self, std::string bytes);       // bytes as they are (TLS records)
void flush_output(Self* self, uint32_t credit = 0);  // outbox to the broker, with a read credit
void maybe_read(Self* self);
void finish_request(Self* self);
void close_session(Self* self);
void count(Self* self, metrics::Id id);
void count(Self* self, metrics::Id id, const std::string& label);
void set_stress(Self* self, bool stressed);
void evict(Self* self);

// session_spool.cpp
void check_sender(Self* self);
void begin_message(Self* self, const action::BeginMessage& b);
void add_content(Self* self, std::string bytes);
void end_message(Self* self);
void pump(Self* self);
void abort_message(Self* self);
void writer_down(Self* self, const caf::actor_addr& who);
void check_spool_timeout(Self* self);

// session_recipient.cpp
void check_recipient(Self* self, const std::string& address, const protocol::RcptParams& params);

// session_auth.cpp
bool sender_allowed(Self* self, const std::string& address);
void authenticate(Self* self, const action::Authenticate& a);
void auth_failed(Self* self);

// session_trace.cpp
void trace_start(Self* self, const std::string& queue_id);
void trace_note(Self* self, const char* step, std::string detail);
void trace_recipient(Self* self, const std::string& address, const RecipientDecision& d);
void trace_end(Self* self, const char* step, std::string detail);
void trace_abort(Self* self);

// session_tls.cpp
void start_tls(Self* self);
void tls_input(Self* self, std::string_view ciphertext);

}  // namespace mailactor::actors::session_detail
