#include "actors/client_connection.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

std::string_view ClientConnection::receive() {
  while (true) {
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
    ssize_t n = ::recv(fd_, buf_, sizeof buf_, 0);
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (n > 0) return std::string_view(buf_, static_cast<size_t>(n));
    if (errno != EINTR) throw std::runtime_error(std::string("read: ") + std::strerror(errno));
  }
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
