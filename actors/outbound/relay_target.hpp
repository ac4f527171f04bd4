// The relay delivery target: mail for other domains, over SMTP to a smarthost or the
// destination's MX hosts. Each target actor is one outbound connection, on a detached actor
// (its DNS lookups, connects and TLS handshakes block only its own thread, never a scheduler
// thread or the I/O thread); the deliverer bounds how many there are, per destination and in
// all. A job is one message for the recipients at one destination: one transaction with a RCPT
// each. The connection stays open for the next job to the same destination.
#pragma once

#include <openssl/ssl.h>
#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "actors/outbound/dns_resolver.hpp"
#include "routing/relay_policy.hpp"
#include "storage/queue_files.hpp"

namespace mailactor::actors::outbound {

class DkimSigner;

// An OpenSSL client context: TLS 1.2 or later; trusts the system's CAs, or `ca_file` when set.
class ClientTls {
 public:
  explicit ClientTls(const std::string& ca_file);  // throws std::runtime_error
  ~ClientTls();
  ClientTls(const ClientTls&) = delete;
  ClientTls& operator=(const ClientTls&) = delete;
  SSL_CTX* raw() const { return ctx_; }

 private:
  SSL_CTX* ctx_;
};

struct RelayTargetSettings {
  std::shared_ptr<const routing::RelaySettings> policy;
  std::shared_ptr<const DnsResolver> dns;
  std::shared_ptr<const ClientTls> tls;
  std::shared_ptr<const DkimSigner> dkim;  // null: no signing
  std::string hostname;                    // ours, for EHLO
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds timeout{300000};
  // An open session with no job for this long is ended (QUIT): a peer's slot is not held for
  // mail that is not coming, and the peer's own idle timeout never cuts it mid-wait.
  std::chrono::milliseconds idle_close{10000};
};

delivery_target_actor spawn_relay_target(caf::actor_system& system,
                                         const storage::QueueFiles& queue,
                                         RelayTargetSettings settings);

}  // namespace mailactor::actors::outbound
