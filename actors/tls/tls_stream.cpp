#include "actors/tls/tls_stream.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace mailactor::tls {

TlsStream::TlsStream(std::shared_ptr<TlsContext> ctx) : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->raw());
  if (!ssl_) throw std::runtime_error("TLS: SSL_new failed: " + openssl_errors());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

TlsStream::Status TlsStream::fail(const char* where, int ret) {
  int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::ok;
  if (err == SSL_ERROR_ZERO_RETURN) return Status::closed;
  error_ = std::string(where) + ": " + openssl_errors();
  return Status::failed;
}

TlsStream::Status TlsStream::receive(std::string_view ciphertext, std::string& plain) {
  ERR_clear_error();
  if (!ciphertext.empty() &&
      BIO_write(in_, ciphertext.data(), static_cast<int>(ciphertext.size())) <= 0) {
    error_ = "BIO_write failed";
    return Status::failed;
  }
  if (!done_) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) return fail("handshake", r);
    done_ = true;
  }
  char buf[16384];
  while (true) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<size_t>(n));
      continue;
    }
    return fail("read", n);
  }
}

TlsStream::Status TlsStream::send(std::string_view plain) {
  ERR_clear_error();
  while (!plain.empty()) {
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
    if (n <= 0) {
      Status s = fail("write", n);
      return s == Status::ok ? Status::failed : s;  // memory BIOs never want to wait
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  return Status::ok;
}

void TlsStream::shutdown() {
  if (done_) SSL_shutdown(ssl_);
}

std::string TlsStream::take_output() {
  std::string out;
  size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return out;
  out.resize(pending);
  int n = BIO_read(out_, out.data(), static_cast<int>(pending));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

std::string TlsStream::protocol() const {
  return SSL_get_version(ssl_);
}

std::string TlsStream::cipher() const {
  const char* c = SSL_get_cipher_name(ssl_);
  return c ? c : "";
}

}  // namespace mailactor::tls
