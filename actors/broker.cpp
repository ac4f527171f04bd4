#include "actors/broker.hpp"

#include <spdlog/spdlog.h>
#include <caf/io/broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>

#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>
#include <vector>

#include "actors/actor_meter.hpp"
#include "actors/rate_limiter.hpp"
#include "actors/session.hpp"

namespace mailactor::actors {
namespace {

using caf::io::accept_handle;
using caf::io::connection_handle;

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
struct Listener {
  std::string name;
  std::shared_ptr<const SessionSettings> session;
  ListenerLimits limits;
  std::unique_ptr<RateLimiter> connection_rate;
  std::unordered_map<std::string, size_t> per_ip;
  size_t active = 0;
  bool paused = false;
  uint64_t accepted = 0;
  uint64_t refused = 0;  // by any limit or pressure
};

struct BrokerState {
  std::shared_ptr<const BrokerSettings> settings;
  std::unordered_map<accept_handle, Listener> listeners;
  std::unordered_map<connection_handle, Connection> connections;
  uint64_t refused_per_ip = 0;
  uint64_t refused_pressure = 0;
  uint64_t refused_rate = 0;
  pressure level = pressure::normal;
  bool global_full = false;
  bool draining = false;
  bool stopping = false;
  uint64_t accepted = 0;
  std::chrono::milliseconds beat{1000};  // how often every session is ticked
  std::vector<ReadWatch> watches;
  bool watch_tick_scheduled = false;
  uint64_t lost_triggers = 0;
  HandlerMeter meter;
};

using Self = caf::io::broker;

// The one check that keeps a late write or close of a finished session away from a new
// connection that reuses its fd number.
Connection* registered(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.connections.find(hdl);
  if (it == st.connections.end()) return nullptr;
  if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.session))
    return nullptr;
  return &it->second;
}

// A listener stops accepting (new clients wait in the kernel's backlog) while the server or
// the listener itself is at its session limit.
void update_accepting(Self* self, BrokerState& st) {
  if (st.draining) return;
  bool full = st.connections.size() >= st.settings->max_sessions;
  if (full != st.global_full) {
    st.global_full = full;
    if (full) {
      spdlog::warn("max_sessions ({}) reached: not accepting", st.settings->max_sessions);
    } else {
      spdlog::info("below max_sessions: accepting again");
    }
  }
  for (auto& [hdl, l] : st.listeners) {
    bool own_full = l.limits.max_sessions > 0 && l.active >= l.limits.max_sessions;
    bool pause = full || own_full;
    if (pause == l.paused) continue;
    l.paused = pause;
    if (pause) {
      self->halt(hdl);
      if (own_full)
        spdlog::warn("listener {}: max_sessions ({}) reached: not accepting", l.name,
                     l.limits.max_sessions);
    } else {
      self->trigger(hdl);
      if (l.limits.max_sessions > 0) spdlog::info("listener {}: accepting again", l.name);
    }
  }
}

void forget(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.connections.find(hdl);
  if (it != st.connections.end()) {
    auto lit = st.listeners.find(it->second.listener);
    if (lit != st.listeners.end()) {
      auto& l = lit->second;
      --l.active;
      auto ip = l.per_ip.find(it->second.peer);
      if (ip != l.per_ip.end() && --ip->second == 0) l.per_ip.erase(ip);
    }
    st.connections.erase(it);
  }
  update_accepting(self, st);
  if (st.draining && st.connections.empty()) {
    spdlog::info("all sessions closed");
    self->quit();
  }
}

constexpr std::chrono::milliseconds kFirstCheck{5};
constexpr std::chrono::milliseconds kMaxBackoff{1000};

void schedule_watch_tick(Self* self, BrokerState& st, std::chrono::milliseconds after) {
  if (st.watch_tick_scheduled || st.watches.empty()) return;
  st.watch_tick_scheduled = true;
  self->delayed_send(self, after, tick_atom::value);
}

// True when the socket has bytes or an EOF waiting (the handle id is the fd).
bool readable(connection_handle hdl) {
  char c;
  ssize_t n = ::recv(static_cast<int>(hdl.id()), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n >= 0;
}

void check_watches(Self* self, BrokerState& st) {
  st.watch_tick_scheduled = false;
  auto now = std::chrono::steady_clock::now();
  auto next = now + kMaxBackoff;
  size_t keep = 0;
  for (auto& w : st.watches) {
    auto it = st.connections.find(w.hdl);
    if (it == st.connections.end() || it->second.chunks != w.chunks_then || it->second.halted)
      continue;  // reading again, gone, or halted anew
    if (now >= w.next) {
      if (readable(w.hdl)) {
        ++st.lost_triggers;
        self->trigger(w.hdl);
        w.backoff = kFirstCheck;
      } else {
        w.backoff = std::min(w.backoff * 2, kMaxBackoff);
      }
      w.next = now + w.backoff;
    }
    next = std::min(next, w.next);
    st.watches[keep++] = w;
  }
  st.watches.resize(keep);
  schedule_watch_tick(self, st,
                      std::max(std::chrono::duration_cast<std::chrono::milliseconds>(next - now),
                               std::chrono::milliseconds(1)));
}

// Turns a connection away before any session exists. TLS-first listeners get no plaintext.
void refuse(Self* self, connection_handle hdl, const SessionSettings& listener,
            const std::string& reply) {
  // Written straight to the new socket (a few bytes always fit its empty send buffer): a
  // scribe launched only to carry this reply and closed at once is never freed by CAF 0.17.6
  // (LeakSanitizer: ~470 bytes per refused connection, a leak an attacker could drive).
  if (listener.tls_mode != TlsMode::implicit)
    (void)::send(static_cast<int>(hdl.id()), reply.data(), reply.size(),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
  self->close(hdl);
}

// CAF 0.17 registers a connection for EPOLLOUT and removes it again for every write: two
// epoll_ctl calls per reply, the busiest system call per message after futex. A reply nearly
// always fits the socket's send buffer, so it is sent right here; only what does not fit goes
// to CAF, and while CAF holds output (until data_transferred_msg says it is drained) later
// output goes behind it to keep the order. The fd is this connection's while it is registered:
// CAF delivers a connection's close to the broker synchronously, before the fd can be reused.
void send_now(Self* self, connection_handle hdl, Connection& c, const std::string& bytes) {
  size_t sent = 0;
  if (!c.caf_writing) {
    ssize_t n =
        ::send(static_cast<int>(hdl.id()), bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return;  // the peer is gone: the read side reports the close
    if (n > 0) sent = static_cast<size_t>(n);
    if (sent == bytes.size()) return;
    c.caf_writing = true;
    self->ack_writes(hdl, true);
  }
  self->write(hdl, bytes.size() - sent, bytes.data() + sent);
  self->flush(hdl);
}

// The bytes of one read. CAF reads into a buffer of the full read size (zero-filled): taking that
// buffer for a short read (a command, a small message) makes CAF allocate and zero a new one for
// the next read, and the session free the big one on another thread. A short read is copied out
// instead and CAF keeps its buffer.
std::vector<char> take_chunk(std::vector<char>& buf) {
  if (buf.size() * 4 >= buf.capacity()) return std::move(buf);
  return std::vector<char>(buf.begin(), buf.end());
}

// A credit: the next held chunk, or permission for the next one to pass straight through.
void grant(Self* self, BrokerState& st, connection_handle hdl, Connection& c) {
  if (c.held.empty()) {
    c.credit = true;
    return;
  }
  c.held_bytes -= c.held.front().size();
  self->send(c.session, data_atom::value, std::move(c.held.front()));
  c.held.pop_front();
  if (c.halted && c.held_bytes < c.hold_limit) {
    c.halted = false;
    self->trigger(hdl);
    st.watches.push_back(
        ReadWatch{hdl, c.chunks, std::chrono::steady_clock::now() + kFirstCheck, kFirstCheck});
    schedule_watch_tick(self, st, kFirstCheck);
  }
}

// The session may read `size` bytes more: sized, slowed under spool pressure, granted.
void take_credit(Self* self, BrokerState& st, connection_handle hdl, Connection& c, uint32_t size) {
  if (size != c.hold_limit) {
    self->configure_read(hdl, caf::io::receive_policy::at_most(size));
    c.hold_limit = size;
  }
  if (st.level >= pressure::slow) {
    // Under spool pressure every credit waits a little: clients slow down through TCP.
    self->delayed_send(self, std::chrono::milliseconds(20), resume_atom::value, hdl);
    return;
  }
  grant(self, st, hdl, c);
}

caf::behavior broker_behavior(Self* self, std::shared_ptr<const BrokerSettings> settings,
                              spooler_actor spooler, stats_actor stats, auth_front_actor auth) {
  auto st = std::make_shared<BrokerState>();
  st->settings = settings;
  for (const auto& l : settings->listeners) {
    accept_handle h = self->add_doorman(l.fd);
    Listener entry;
    entry.name = l.name;
    entry.session = std::make_shared<SessionSettings>(l.session);
    entry.limits = l.limits;
    entry.connection_rate = std::make_unique<RateLimiter>(l.limits.max_connection_rate_per_ip);
    st->beat = std::min(st->beat, session_tick_interval(l.session));
    st->listeners.emplace(h, std::move(entry));
    spdlog::info("listening on {}:{} ({}, mode {})", l.host, l.port, l.name,
                 l.session.mode == ListenerMode::mx ? "mx" : "submission");
  }
  self->delayed_send(self, st->beat, beat_atom::value);
  self->set_down_handler([=](caf::down_msg& dm) {
    for (auto it = st->connections.begin(); it != st->connections.end(); ++it) {
      if (it->second.address == dm.source) {
        // The session ended without hanging up (it failed): do not leave the client waiting.
        connection_handle hdl = it->first;
        self->close(hdl);
        forget(self, *st, hdl);
        return;
      }
    }
  });
  return {
      [=](const caf::io::new_connection_msg& msg) {
        HandlerClock clock{st->meter};
        auto lit = st->listeners.find(msg.source);
        if (st->draining || lit == st->listeners.end()) {
          self->close(msg.handle);
          return;
        }
        Listener& l = lit->second;
        SessionPeer peer{msg.handle, self->remote_addr(msg.handle), self->remote_port(msg.handle)};
        auto turn_away = [&](uint64_t& reason_count, const std::string& reply) {
          ++reason_count;
          ++l.refused;
          refuse(self, msg.handle, *l.session, reply);
        };
        if (st->level >= pressure::refuse) {
          turn_away(st->refused_pressure,
                    "421 4.3.2 Service temporarily unavailable, try again later\r\n");
          return;
        }
        if (!l.connection_rate->allow(peer.address)) {
          turn_away(st->refused_rate,
                    "421 4.7.0 Too many connections from your address, slow down\r\n");
          return;
        }
        size_t& from_ip = l.per_ip[peer.address];
        if (from_ip >= l.limits.max_sessions_per_ip) {
          turn_away(st->refused_per_ip, "421 4.7.0 Too many connections from your address\r\n");
          if (from_ip == 0) l.per_ip.erase(peer.address);
          spdlog::info("refused {}:{} on {}: {} connections from that address", peer.address,
                       peer.port, l.name, l.limits.max_sessions_per_ip);
          return;
        }
        ++from_ip;
        ++l.active;
        auto session = spawn_session(self->system(), caf::actor_cast<caf::actor>(self), peer,
                                     l.session, spooler, stats, auth);
        self->monitor(session);
        Connection c;
        c.listener = msg.source;
        c.peer = peer.address;
        c.session = session;
        c.address = session.address();
        c.hold_limit = l.session->command_read;
        st->connections.emplace(msg.handle, std::move(c));
        self->configure_read(msg.handle, caf::io::receive_policy::at_most(l.session->command_read));
        self->trigger(msg.handle);  // continuous reading; see Connection
        ++st->accepted;
        ++l.accepted;
        update_accepting(self, *st);
      },
      [=](caf::io::new_data_msg& msg) {
        HandlerClock clock{st->meter};
        auto it = st->connections.find(msg.handle);
        if (it == st->connections.end()) return;
        Connection& c = it->second;
        ++c.chunks;
        std::vector<char> chunk = take_chunk(msg.buf);
        if (c.credit && c.held.empty()) {
          c.credit = false;
          self->send(c.session, data_atom::value, std::move(chunk));
          return;
        }
        c.held_bytes += chunk.size();
        c.held.push_back(std::move(chunk));
        if (!c.halted && c.held_bytes >= c.hold_limit) {
          self->halt(msg.handle);
          c.halted = true;
        }
      },
      [=](const caf::io::connection_closed_msg& msg) {
        HandlerClock clock{st->meter};
        auto it = st->connections.find(msg.handle);
        if (it == st->connections.end()) return;
        // What the client sent before closing still belongs to its session.
        for (auto& chunk : it->second.held)
          self->send(it->second.session, data_atom::value, std::move(chunk));
        self->send(it->second.session, closed_atom::value);
        forget(self, *st, msg.handle);
      },
      [=](const caf::io::data_transferred_msg& msg) {
        auto it = st->connections.find(msg.handle);
        if (it == st->connections.end() || msg.remaining > 0) return;
        Connection& c = it->second;
        c.caf_writing = false;
        self->ack_writes(msg.handle, false);
        if (c.deferred_credit > 0) take_credit(self, *st, msg.handle, c, c.deferred_credit);
        c.deferred_credit = 0;
      },
      [=](const caf::io::connection_passivated_msg&) {
        // Expected: manual reads pause after every chunk.
      },
      [=](const caf::io::acceptor_closed_msg&) {},
      [=](const caf::io::acceptor_passivated_msg& msg) {
        // trigger(acceptor, n) does not stop accepting by itself in CAF 0.17.6.
        self->halt(msg.handle);
      },
      [=](write_atom, connection_handle hdl, const std::string& bytes, uint32_t credit) {
        HandlerClock clock{st->meter};
        auto* c = registered(self, *st, hdl);
        if (!c) return;
        if (!bytes.empty()) send_now(self, hdl, *c, bytes);
        if (credit == 0) return;
        if (c->caf_writing) {
          // A client that does not read its replies gets no more input read until it has:
          // unsent output stays at one socket buffer plus one turn's replies.
          c->deferred_credit = credit;
          return;
        }
        take_credit(self, *st, hdl, *c, credit);
      },
      [=](resume_atom, connection_handle hdl) {
        auto it = st->connections.find(hdl);
        if (it != st->connections.end()) grant(self, *st, hdl, it->second);
      },
      [=](pressure_atom, uint8_t level) { st->level = static_cast<pressure>(level); },
      [=](tick_atom) { check_watches(self, *st); },
      [=](beat_atom) {
        for (const auto& [hdl, c] : st->connections)
          self->send(c.session, tick_atom::value);
        self->delayed_send(self, st->beat, beat_atom::value);
      },
      [=](hangup_atom, connection_handle hdl) {
        HandlerClock clock{st->meter};
        if (!registered(self, *st, hdl)) return;
        self->close(hdl);  // flushes pending writes first
        forget(self, *st, hdl);
      },
      [=](drain_atom) {
        if (st->draining) return;
        st->draining = true;
        for (auto& l : st->listeners)
          self->close(l.first);
        spdlog::info("shutting down: {} sessions finish their transaction (grace {}s)",
                     st->connections.size(), st->settings->shutdown_grace.count());
        for (auto& c : st->connections)
          self->send(c.second.session, drain_atom::value);
        if (st->connections.empty()) {
          self->quit();
          return;
        }
        self->delayed_send(self, st->settings->shutdown_grace, stop_atom::value);
      },
      [=](stop_atom) {
        if (st->stopping) {
          // Sessions that did not close in time: drop them.
          spdlog::warn("closing {} unresponsive connections", st->connections.size());
          for (auto& c : st->connections)
            self->close(c.first);
          self->quit();
          return;
        }
        st->stopping = true;
        spdlog::info("grace period over: closing {} sessions", st->connections.size());
        for (auto& c : st->connections)
          self->send(c.second.session, stop_atom::value);
        self->delayed_send(self, std::chrono::seconds(5), stop_atom::value);
      },
      [=](get_stats_atom) {
        actor_stats s;
        s.name = "broker";
        s.mailbox = self->mailbox().size();
        s.counters["sessions"] = st->connections.size();
        s.counters["accepted"] = st->accepted;
        s.counters["refused_per_ip"] = st->refused_per_ip;
        s.counters["refused_pressure"] = st->refused_pressure;
        s.counters["refused_rate"] = st->refused_rate;
        s.counters["lost_triggers_repaired"] = st->lost_triggers;
        for (const auto& [hdl, l] : st->listeners) {
          s.counters["listener:" + l.name + ":sessions"] = l.active;
          s.counters["listener:" + l.name + ":accepted"] = l.accepted;
          s.counters["listener:" + l.name + ":refused"] = l.refused;
        }
        s.handled = st->meter.handled;
        s.busy_us = st->meter.busy_us;
        return s;
      },
      [=](list_atom) {
        std::vector<caf::actor> sessions;
        sessions.reserve(st->connections.size());
        for (const auto& [hdl, c] : st->connections)
          sessions.push_back(c.session);
        return sessions;
      },
  };
}

}  // namespace

caf::actor spawn_broker(caf::actor_system& system, std::shared_ptr<const BrokerSettings> settings,
                        spooler_actor spooler, stats_actor stats, auth_front_actor auth) {
  return system.middleman().spawn_broker(broker_behavior, std::move(settings), std::move(spooler),
                                         std::move(stats), std::move(auth));
}

}  // namespace mailactor::actors
