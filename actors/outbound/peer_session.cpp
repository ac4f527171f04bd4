#include "actors/outbound/peer_session.hpp"

#include <strings.h>

#include "protocol/base64.hpp"

namespace mailactor::actors::outbound {
namespace {

using routing::TlsPolicy;

protocol::Reply expect(ClientConnection& c, int code, const std::string& step) {
  auto r = c.read_reply();
  if (r.code != code) throw SessionError(step + ": " + r.summary(), r);
  return r;
}

// A server that gives our own name in its greeting or EHLO reply is us (a smarthost or MX that
// routes the domain back here): relaying to it would loop, as Postfix's "loops back to myself".
void refuse_ourselves(const protocol::Reply& r, const std::string& our_name,
                      const std::string& step) {
  if (r.lines.empty() || our_name.empty()) return;
  const std::string& first = r.lines.front();
  const std::string name = first.substr(0, first.find(' '));
  if (strcasecmp(name.c_str(), our_name.c_str()) != 0) return;
  SessionError err(step + " names us (" + name + "): mail would loop back to myself", r);
  err.loop = true;
  throw err;
}

void greet(PeerSession& s, const SessionParams& p) {
  s.conn->write("EHLO " + p.helo + "\r\n");
  auto r = s.conn->read_reply();
  if (r.code == 250) {
    refuse_ourselves(r, p.helo, "EHLO");
    s.caps = protocol::parse_ehlo(r);
    return;
  }
  if (r.code / 100 != 5 || s.tls) throw SessionError("EHLO: " + r.summary(), r);
  s.conn->write("HELO " + p.helo + "\r\n");  // an old server: no extensions
  refuse_ourselves(expect(*s.conn, 250, "HELO"), p.helo, "HELO");
  s.caps = {};
}

void handshake(PeerSession& s, const routing::Destination& d, const SessionParams& p) {
  try {
    s.tls = s.conn->start_tls(p.tls, s.host, d.tls == TlsPolicy::verify);
  } catch (const std::exception& e) {
    SessionError err(e.what());
    err.tls_handshake = true;
    throw err;
  }
}

void authenticate(PeerSession& s, const routing::Smarthost& h) {
  if (h.user.empty()) return;
  if (!s.conn->encrypted()) throw SessionError("AUTH refused over plaintext");
  if (s.caps.offers_auth("PLAIN")) {
    std::string token = std::string(1, '\0') + h.user + std::string(1, '\0') + h.password;
    s.conn->write("AUTH PLAIN " + protocol::base64_encode(token) + "\r\n");
    expect(*s.conn, 235, "AUTH PLAIN");
    return;
  }
  if (!s.caps.offers_auth("LOGIN")) throw SessionError("the smarthost offers no AUTH PLAIN/LOGIN");
  s.conn->write("AUTH LOGIN\r\n");
  expect(*s.conn, 334, "AUTH LOGIN");
  s.conn->write(protocol::base64_encode(h.user) + "\r\n");
  expect(*s.conn, 334, "AUTH LOGIN");
  s.conn->write(protocol::base64_encode(h.password) + "\r\n");
  expect(*s.conn, 235, "AUTH LOGIN");
}

}  // namespace

std::string PeerSession::tls_summary() const {
  if (!tls) return "plaintext";
  return tls->version + " " + tls->cipher + (tls->verified ? " verified" : " unverified");
}

std::string peer_name(const std::string& host, const std::string& address) {
  size_t colon = address.rfind(':');
  std::string ip = address.substr(0, colon);
  if (ip.size() > 1 && ip.front() == '[') ip = ip.substr(1, ip.size() - 2);
  return host + "[" + ip + "]" + address.substr(colon);
}

std::string PeerSession::peer() const {
  return peer_name(host, address);
}

namespace {

// The dialogue after connecting: greeting, EHLO, STARTTLS, EHLO again, AUTH.
void set_up(PeerSession& s, const routing::Destination& d, const SessionParams& p, bool try_tls) {
  const bool implicit = d.smarthost && d.smarthost->implicit_tls;
  if (implicit) handshake(s, d, p);
  refuse_ourselves(expect(*s.conn, 220, "greeting"), p.helo, "greeting");
  greet(s, p);
  if (!implicit && try_tls && s.caps.starttls) {
    s.conn->write("STARTTLS\r\n");
    auto r = s.conn->read_reply();
    if (r.code == 220) {
      handshake(s, d, p);
      greet(s, p);
    } else if (!protocol::is_final_reply(r) || r.code / 100 == 2) {
      throw SessionError("STARTTLS: protocol error, unexpected reply " + r.summary(), r);
    } else if (d.tls != TlsPolicy::may) {
      throw SessionError("STARTTLS: " + r.summary(), r);
    }
  }
  if (!s.tls && d.tls != TlsPolicy::may)
    throw SessionError("TLS is required (policy " + std::string(routing::to_string(d.tls)) +
                       ") but " + s.host + " does not offer STARTTLS");
  if (d.smarthost) authenticate(s, *d.smarthost);
}

}  // namespace

PeerSession open_session(const routing::Destination& d, const std::string& host,
                         const std::string& address, const SessionParams& p, bool try_tls) {
  PeerSession s;
  s.host = host;
  s.address = address;
  try {
    s.conn = std::make_unique<ClientConnection>(address, p.connect_timeout, p.timeout);
    set_up(s, d, p, try_tls);
  } catch (const SessionError&) {
    throw;
  } catch (const std::exception& e) {  // the connection failed or closed, a timeout, not SMTP
    throw SessionError(e.what());
  }
  return s;
}

void close_session(PeerSession& s) {
  if (!s.conn) return;
  try {
    s.conn->write("QUIT\r\n");
  } catch (const std::exception&) {
  }
  s.conn.reset();
}

}  // namespace mailactor::actors::outbound
