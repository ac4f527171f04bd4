#include "actors/net/client_connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "actors/tls/tls_context.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mailactor::actors {
namespace {

int connect_unix(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) throw std::runtime_error("socket path too long: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) return fd;
  int err = errno;
  if (fd >= 0) ::close(fd);
  throw std::runtime_error("cannot connect to unix:" + path + ": " + std::strerror(err));
}

// connect(2), but no longer than `timeout`.
bool connect_within(int fd, const addrinfo* a, int timeout_ms, int& err) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    rc = ::poll(&p, 1, timeout_ms);
    if (rc == 0) {
      err = ETIMEDOUT;
      return false;
    }
    socklen_t len = sizeof err;
    if (rc < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    rc = err == 0 ? 0 : -1;
  } else if (rc != 0) {
    err = errno;
  }
  ::fcntl(fd, F_SETFL, flags);
  return rc == 0;
}

int connect_tcp(const std::string& address, int timeout_ms) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("bad address " + address);
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) throw std::runtime_error(address + ": " + gai_strerror(rc));
  int fd = -1, err = 0;
  for (addrinfo* a = res; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && !connect_within(fd, a, timeout_ms, err)) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) throw std::runtime_error("cannot connect to " + address + ": " + std::strerror(err));
  // Commands go out whole (a pipelined group in one write): Nagle's wait for the peer's delayed
  // ACK would only add up to 40 ms to every transaction.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

ClientConnection::ClientConnection(const std::string& address, std::chrono::milliseconds timeout)
    : ClientConnection(address, timeout, timeout) {}

ClientConnection::ClientConnection(const std::string& address,
                                   std::chrono::milliseconds connect_timeout,
                                   std::chrono::milliseconds timeout)
    : timeout_ms_(static_cast<int>(timeout.count())) {
  fd_ = address.rfind("unix:", 0) == 0
            ? connect_unix(address.substr(5))
            : connect_tcp(address, static_cast<int>(connect_timeout.count()));
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // a peer that stops reading
}

ClientConnection::~ClientConnection() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

ClientConnection::TlsInfo ClientConnection::start_tls(SSL_CTX* ctx, const std::string& server_name,
                                                      bool verify_name) {
  // The handshake is blocking: the receive timeout (SO_RCVTIMEO) bounds each wait.
  timeval tv{timeout_ms_ / 1000, (timeout_ms_ % 1000) * 1000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ERR_clear_error();
  parser_.discard();
  lines_.clear();
  ssl_ = SSL_new(ctx);
  if (!ssl_) throw std::runtime_error("TLS: out of memory");
  SSL_set_fd(ssl_, fd_);
  if (!server_name.empty()) {
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    SSL_set1_host(ssl_, server_name.c_str());  // the name checked (or only recorded)
  }
  SSL_set_verify(ssl_, verify_name ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (SSL_connect(ssl_) != 1) {
    std::string why = ERR_peek_error() ? tls::openssl_errors() : "handshake failed";
    if (SSL_get_verify_result(ssl_) != X509_V_OK)
      why += std::string(" (") + X509_verify_cert_error_string(SSL_get_verify_result(ssl_)) + ")";
    ERR_clear_error();
    throw std::runtime_error("TLS: " + why);
  }
  TlsInfo info;
  info.version = SSL_get_version(ssl_);
  info.cipher = SSL_get_cipher_name(ssl_);
  X509* peer = SSL_get1_peer_certificate(ssl_);
  info.verified = peer && SSL_get_verify_result(ssl_) == X509_V_OK && !server_name.empty();
  if (peer) X509_free(peer);
  return info;
}

void ClientConnection::refuse_unasked_input() const {
  if (parser_.pending() || !lines_.empty() || (ssl_ && SSL_pending(ssl_) > 0))
    throw std::runtime_error("protocol error: the server sent data no command asked for");
}

void ClientConnection::write(std::string_view bytes) {
  refuse_unasked_input();
  if (ssl_) {
    while (!bytes.empty()) {
      size_t n = 0;
      if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &n) != 1)
        throw std::runtime_error("TLS write failed");
      bytes.remove_prefix(n);
    }
    return;
  }
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

std::string_view ClientConnection::receive() {
  while (true) {
    if (ssl_ && SSL_pending(ssl_) > 0) return receive_tls();
    int wait_ms = timeout_ms_;
    if (deadline_ != std::chrono::steady_clock::time_point::max()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline_ - std::chrono::steady_clock::now());
      wait_ms = static_cast<int>(std::clamp<int64_t>(left.count(), 0, timeout_ms_));
    }
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, wait_ms);
    if (rc == 0) throw std::runtime_error("timeout waiting for the server");
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::strerror(errno));
    }
    if (ssl_) {
      auto got = receive_tls();
      if (!got.empty()) return got;
      continue;  // a TLS record without application data
    }
    ssize_t n = ::recv(fd_, buf_, sizeof buf_, 0);
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (n > 0) return std::string_view(buf_, static_cast<size_t>(n));
    if (errno != EINTR) throw std::runtime_error(std::string("read: ") + std::strerror(errno));
  }
}

std::string_view ClientConnection::receive_tls() {
  size_t n = 0;
  if (SSL_read_ex(ssl_, buf_, sizeof buf_, &n) == 1) return std::string_view(buf_, n);
  int err = SSL_get_error(ssl_, 0);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
  ERR_clear_error();
  if (err == SSL_ERROR_ZERO_RETURN) throw std::runtime_error("connection closed by the server");
  throw std::runtime_error("TLS read failed");
}

protocol::Reply ClientConnection::read_reply() {
  while (true) {
    if (auto r = parser_.next()) return *r;
    if (!parser_.feed(receive())) throw std::runtime_error("the server does not speak SMTP");
  }
}

std::string ClientConnection::read_line() {
  while (true) {
    size_t nl = lines_.find('\n');
    if (nl != std::string::npos) {
      std::string line = lines_.substr(0, nl);
      lines_.erase(0, nl + 1);
      return line;
    }
    if (lines_.size() > 65536) throw std::runtime_error("over-long line");
    lines_.append(receive());
  }
}

}  // namespace mailactor::actors
