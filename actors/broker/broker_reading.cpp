// Reading with credits: a session gets one chunk per credit; chunks without credit are held and
// a connection holding a full chunk is halted (TCP slows the client). Works around CAF 0.17.6
// losing a trigger (see ReadWatch).
#include <caf/io/receive_policy.hpp>

#include <sys/socket.h>

#include <algorithm>

#include "actors/broker/broker_state.hpp"

namespace mailactor::actors::broker_detail {

namespace {

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

// The bytes of one read. CAF reads into a buffer of the full read size (zero-filled): taking that
// buffer for a short read (a command, a small message) makes CAF allocate and zero a new one for
// the next read, and the session free the big one on another thread. A short read is copied out
// instead and CAF keeps its buffer.
std::vector<char> take_chunk(std::vector<char>& buf) {
  if (buf.size() * 4 >= buf.capacity()) return std::move(buf);
  return std::vector<char>(buf.begin(), buf.end());
}

}  // namespace

void start_reading(Self* self, connection_handle hdl, size_t size) {
  self->configure_read(hdl, caf::io::receive_policy::at_most(size));
  self->trigger(hdl);  // continuous reading; see Connection
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

void on_data(Self* self, BrokerState& st, caf::io::new_data_msg& msg) {
  auto it = st.connections.find(msg.handle);
  if (it == st.connections.end()) return;
  Connection& c = it->second;
  ++c.chunks;
  c.last_input = std::chrono::steady_clock::now();
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
}

void on_closed(Self* self, BrokerState& st, connection_handle hdl) {
  if (proxy_closed(self, st, hdl)) return;
  auto it = st.connections.find(hdl);
  if (it == st.connections.end()) return;
  // What the client sent before closing still belongs to its session.
  for (auto& chunk : it->second.held)
    self->send(it->second.session, data_atom::value, std::move(chunk));
  self->send(it->second.session, closed_atom::value);
  forget(self, st, hdl);
}

}  // namespace mailactor::actors::broker_detail
