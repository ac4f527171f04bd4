// Writing: a session's replies (and the read credit that follows them) from the registered
// session only; sent straight to the socket, through CAF only when the send buffer is full.
#include <sys/socket.h>

#include <cerrno>

#include "actors/broker/broker_state.hpp"

namespace mailactor::actors::broker_detail {

namespace {

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

}  // namespace

void on_write(Self* self, BrokerState& st, connection_handle hdl, const std::string& bytes,
              uint32_t credit, bool mail_started) {
  auto* c = registered(self, st, hdl);
  if (!c) return;
  c->mail_started = c->mail_started || mail_started;
  if (!bytes.empty()) send_now(self, hdl, *c, bytes);
  if (credit == 0) return;
  if (c->caf_writing) {
    // A client that does not read its replies gets no more input read until it has:
    // unsent output stays at one socket buffer plus one turn's replies.
    c->deferred_credit = credit;
    return;
  }
  take_credit(self, st, hdl, *c, credit);
}

void on_transferred(Self* self, BrokerState& st, const caf::io::data_transferred_msg& msg) {
  auto it = st.connections.find(msg.handle);
  if (it == st.connections.end() || msg.remaining > 0) return;
  Connection& c = it->second;
  c.caf_writing = false;
  self->ack_writes(msg.handle, false);
  if (c.deferred_credit > 0) take_credit(self, st, msg.handle, c, c.deferred_credit);
  c.deferred_credit = 0;
}

}  // namespace mailactor::actors::broker_detail
