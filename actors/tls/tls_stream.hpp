// One server-side TLS connection over memory BIOs: ciphertext in from the socket, plaintext out
// to the SMTP engine, and back. It lives inside the session actor, so handshakes and crypto run
// on scheduler threads, never on the I/O thread (CAF's openssl module cannot wrap a broker
// stream). Plain C++, no CAF, no sockets.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "actors/tls/tls_context.hpp"

namespace mailactor::tls {

class TlsStream {
 public:
  enum class Status { ok, closed, failed };

  explicit TlsStream(std::shared_ptr<TlsContext> ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Ciphertext from the peer; decrypted application data is appended to `plain`.
  Status receive(std::string_view ciphertext, std::string& plain);
  // Application data to encrypt (after the handshake).
  Status send(std::string_view plain);
  // Sends close_notify.
  void shutdown();
  // What has to go to the socket now (handshake records, data, alerts).
  std::string take_output();

  bool handshake_done() const { return done_; }
  std::string protocol() const;
  std::string cipher() const;
  const std::string& error() const { return error_; }

 private:
  Status fail(const char* where, int ret);

  std::shared_ptr<TlsContext> ctx_;  // kept alive for this connection across a SIGHUP reload
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  bool done_ = false;
  std::string error_;
};

}  // namespace mailactor::tls
