// One outbound SMTP connection, opened and set up for a destination: greeting, EHLO (HELO when
// the server refuses it), STARTTLS as the TLS policy asks, EHLO again, AUTH for a smarthost
// with credentials. Blocking, every wait bounded; run only on a relay connection's own thread.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "actors/net/client_connection.hpp"
#include "protocol/ehlo.hpp"
#include "routing/relay_policy.hpp"

namespace mailactor::actors::outbound {

// Why a session could not be set up; `reply` when the server said so.
struct SessionError : std::runtime_error {
  SessionError(const std::string& what, std::optional<protocol::Reply> r = std::nullopt)
      : std::runtime_error(what), reply(std::move(r)) {}
  std::optional<protocol::Reply> reply;
  bool tls_handshake = false;  // the TLS handshake itself failed
  bool loop = false;           // the server greets with our own name: mail would loop back to us
};

struct SessionParams {
  std::string helo;  // our name
  SSL_CTX* tls = nullptr;
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds timeout{300000};  // per reply (RFC 5321 §4.5.3.2: minutes)
};

struct PeerSession {
  std::unique_ptr<ClientConnection> conn;
  protocol::EhloCapabilities caps;
  std::string host;     // the MX or smarthost name
  std::string address;  // "IP:PORT" connected to
  std::optional<ClientConnection::TlsInfo> tls;
  // "TLSv1.3 TLS_AES_256_GCM_SHA384 verified" / "... unverified" / "plaintext".
  std::string tls_summary() const;
  std::string peer() const;  // peer_name(host, address)
};

// "mx.example.test[192.0.2.1]:25", "mx.example.test[2001:db8::25]:25" for host and "IP:PORT"
// (an IPv6 address in brackets).
std::string peer_name(const std::string& host, const std::string& address);

// Throws SessionError. `try_tls` false: no STARTTLS even when offered (after a failed
// handshake under the "may" policy, as Postfix does).
PeerSession open_session(const routing::Destination& d, const std::string& host,
                         const std::string& address, const SessionParams& p, bool try_tls = true);

// Ends the session politely (QUIT, without waiting long for the answer).
void close_session(PeerSession& s);

}  // namespace mailactor::actors::outbound
