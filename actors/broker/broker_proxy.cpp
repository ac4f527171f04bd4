// The PROXY-protocol header on listeners behind a load balancer: only trusted balancers may
// connect, and the session starts with the client the header names. A connection from elsewhere,
// a malformed or truncated header or none within header_timeout is closed without a greeting
// (anything we wrote would go to the balancer, not to a client).
#include <spdlog/spdlog.h>
#include <caf/io/receive_policy.hpp>

#include "actors/broker/broker_state.hpp"
#include "protocol/proxy_header.hpp"

namespace mailactor::actors::broker_detail {

namespace {

// A connection awaiting its header holds one of its listener's sessions (max_sessions).
void drop(Self* self, BrokerState& st, connection_handle hdl, Listener& l) {
  ++st.refused_proxy;
  ++l.refused;
  st.ledger->unhold(l.index);
  st.pending_proxy.erase(hdl);
  self->close(hdl);
  update_accepting(self, st);
}

std::string tls_note(const protocol::ProxyHeader& h) {
  if (!h.tls) return "";
  std::string note = ", client TLS " + h.tls_version;
  if (!h.tls_cipher.empty()) note += " " + h.tls_cipher;
  if (!h.tls_client_cn.empty()) note += " cn=" + h.tls_client_cn;
  return note;
}

// The header is complete: the session starts with the client it names and what followed it.
void header_done(Self* self, BrokerState& st, connection_handle hdl,
                 const protocol::ProxyParse& parsed) {
  PendingProxy pending = std::move(st.pending_proxy.at(hdl));
  st.pending_proxy.erase(hdl);
  SessionPeer peer{hdl, pending.balancer, self->remote_port(hdl)};
  const auto& h = parsed.header;
  if (h.has_addresses) {
    peer.address = h.client_address;
    peer.port = h.client_port;
  }
  spdlog::info("proxied {}:{} via {} (PROXY v{}{})", peer.address, peer.port, pending.balancer,
               h.version, tls_note(h));
  std::vector<char> early(pending.received.begin() + static_cast<long>(parsed.length),
                          pending.received.end());
  start_session(self, st, pending.listener, peer, std::move(early));
  update_accepting(self, st);  // also when start_session refused the client
}

}  // namespace

bool await_proxy_header(Self* self, BrokerState& st, Listener& l,
                        const caf::io::new_connection_msg& msg) {
  if (!l.proxy.enabled) return false;
  std::string balancer = self->remote_addr(msg.handle);
  if (!l.proxy.trusted || !l.proxy.trusted->contains(balancer)) {
    spdlog::warn("refused {} on {}: not a trusted PROXY-protocol source", balancer, l.name);
    st.ledger->unhold(l.index);
    ++st.refused_proxy;
    ++l.refused;
    self->close(msg.handle);
    return true;
  }
  st.pending_proxy.emplace(msg.handle,
                           PendingProxy{msg.source,
                                        std::move(balancer),
                                        {},
                                        std::chrono::steady_clock::now() + l.proxy.header_timeout});
  start_reading(self, msg.handle, protocol::kMaxProxyHeader);
  update_accepting(self, st);
  return true;
}

bool on_proxy_data(Self* self, BrokerState& st, caf::io::new_data_msg& msg) {
  auto it = st.pending_proxy.find(msg.handle);
  if (it == st.pending_proxy.end()) return false;
  PendingProxy& p = it->second;
  Listener& l = st.listeners.at(p.listener);
  p.received.append(msg.buf.begin(), msg.buf.end());
  auto parsed = protocol::parse_proxy_header(p.received);
  switch (parsed.status) {
    case protocol::ProxyParse::Status::need_more:
      if (p.received.size() < protocol::kMaxProxyHeader) return true;
      parsed.error =
          "no header in the first " + std::to_string(protocol::kMaxProxyHeader) + " bytes";
      [[fallthrough]];
    case protocol::ProxyParse::Status::invalid:
      spdlog::warn("closed {} on {}: bad PROXY header: {}", p.balancer, l.name, parsed.error);
      drop(self, st, msg.handle, l);
      return true;
    case protocol::ProxyParse::Status::done:
      header_done(self, st, msg.handle, parsed);
      return true;
  }
  return true;
}

void expire_proxy_headers(Self* self, BrokerState& st) {
  auto now = std::chrono::steady_clock::now();
  std::vector<connection_handle> late;
  for (const auto& [hdl, p] : st.pending_proxy)
    if (now >= p.deadline) late.push_back(hdl);
  for (auto hdl : late) {
    auto& p = st.pending_proxy.at(hdl);
    Listener& l = st.listeners.at(p.listener);
    spdlog::warn("closed {} on {}: no PROXY header within {}s ({} bytes)", p.balancer, l.name,
                 l.proxy.header_timeout.count(), p.received.size());
    drop(self, st, hdl, l);
  }
}

bool proxy_closed(Self* self, BrokerState& st, connection_handle hdl) {
  auto it = st.pending_proxy.find(hdl);
  if (it == st.pending_proxy.end()) return false;
  Listener& l = st.listeners.at(it->second.listener);
  spdlog::warn("closed {} on {}: connection ended before a complete PROXY header ({} bytes)",
               it->second.balancer, l.name, it->second.received.size());
  drop(self, st, hdl, l);
  return true;
}

void close_proxy_pending(Self* self, BrokerState& st) {
  for (const auto& [hdl, p] : st.pending_proxy) {
    st.ledger->unhold(st.listeners.at(p.listener).index);
    self->close(hdl);
  }
  st.pending_proxy.clear();
}

}  // namespace mailactor::actors::broker_detail
