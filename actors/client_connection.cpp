#include "actors/client_connection.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

int connect_tcp(const std::string& address) {
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
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) throw std::runtime_error("cannot connect to " + address + ": " + std::strerror(err));
  return fd;
}

}  // namespace

ClientConnection::ClientConnection(const std::string& address, std::chrono::milliseconds timeout)
    : timeout_ms_(static_cast<int>(timeout.count())) {
  fd_ = address.rfind("unix:", 0) == 0 ? connect_unix(address.substr(5)) : connect_tcp(address);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // a peer that stops reading
}

ClientConnection::~ClientConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void ClientConnection::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

protocol::Reply ClientConnection::read_reply() {
  while (true) {
    if (auto r = parser_.next()) return *r;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, timeout_ms_);
    if (rc == 0) throw std::runtime_error("timeout waiting for the server");
    if (rc < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::strerror(errno));
    }
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("read: ") + std::strerror(errno));
    }
    if (!parser_.feed(std::string_view(buf, static_cast<size_t>(n))))
      throw std::runtime_error("the server does not speak SMTP");
  }
}

}  // namespace mailactor::actors
