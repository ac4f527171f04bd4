#include "actors/tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace mailactor::tls {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown error" : out;
}

int parse_tls_version(const std::string& name) {
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return 0;
}

std::shared_ptr<TlsContext> TlsContext::load(const TlsSettings& s) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) throw std::runtime_error("TLS: cannot create a context: " + openssl_errors());
  auto fail = [&](const std::string& what) {
    std::string msg = what + ": " + openssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error(msg);
  };
  if (SSL_CTX_set_min_proto_version(ctx, s.min_version) != 1) fail("TLS: bad minimum version");
  // Cipher preferences stay at OpenSSL's secure defaults; no compression, no renegotiation.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1)
    fail("TLS: cannot use certificate " + s.cert_file);
  if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
      fail("TLS: key " + s.key_file + " does not match certificate " + s.cert_file);
    fail("TLS: cannot use key " + s.key_file);
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    fail("TLS: key " + s.key_file + " does not match certificate " + s.cert_file);
  return std::shared_ptr<TlsContext>(new TlsContext(ctx, s));
}

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

}  // namespace mailactor::tls
