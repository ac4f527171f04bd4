// A server TLS configuration (OpenSSL 3): certificate chain, key, minimum protocol. Loaded at
// start-up (a missing or unreadable file, or a key that does not match, is a clear error) and
// again on SIGHUP; sessions take the current one for each new handshake. Plain C++, no CAF.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <mutex>
#include <string>

namespace mailactor::tls {

struct TlsSettings {
  std::string cert_file;  // PEM, leaf first, then intermediates
  std::string key_file;   // PEM
  int min_version = TLS1_2_VERSION;
};

class TlsContext {
 public:
  // Throws std::runtime_error naming the file and OpenSSL's reason.
  static std::shared_ptr<TlsContext> load(const TlsSettings& settings);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* raw() const { return ctx_; }
  const TlsSettings& settings() const { return settings_; }

 private:
  TlsContext(SSL_CTX* ctx, TlsSettings s) : ctx_(ctx), settings_(std::move(s)) {}
  SSL_CTX* ctx_;
  TlsSettings settings_;
};

// The current context of a listener, replaced on SIGHUP while sessions keep the one they
// started their handshake with.
class TlsContextSource {
 public:
  explicit TlsContextSource(std::shared_ptr<TlsContext> ctx) : ctx_(std::move(ctx)) {}
  std::shared_ptr<TlsContext> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ctx_;
  }
  void replace(std::shared_ptr<TlsContext> ctx) {
    std::lock_guard<std::mutex> lock(mutex_);
    ctx_ = std::move(ctx);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<TlsContext> ctx_;
};

// OpenSSL's error queue as text (and emptied).
std::string openssl_errors();

// "TLSv1.2" / "TLSv1.3" -> TLS1_2_VERSION / TLS1_3_VERSION; 0 when unknown.
int parse_tls_version(const std::string& name);

}  // namespace mailactor::tls
