#include "actors/dovecot_userdb.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mailactor::actors {
namespace {

class Socket {
 public:
  explicit Socket(const std::string& path) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof sa.sun_path) throw std::runtime_error("socket path too long");
    std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
      throw std::runtime_error(std::strerror(errno));
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(const std::string& s) {
    if (::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(s.size()))
      throw std::runtime_error("write failed");
  }
  // The next line, or an exception at the deadline.
  std::string line(std::chrono::steady_clock::time_point deadline) {
    while (true) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      if (buf_.size() > 65536) throw std::runtime_error("over-long line");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        throw std::runtime_error("no answer in time");
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n <= 0) throw std::runtime_error("connection closed");
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

}  // namespace

routing::UserAnswer DovecotUserdb::find(const std::string& local, const std::string& domain) const {
  const std::string user = local + "@" + domain;
  // A name with whitespace or control characters cannot be sent as one field.
  for (unsigned char c : user)
    if (c <= ' ' || c == 0x7f) return routing::UserAnswer::not_found;
  try {
    Socket s(path_);
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    s.write("VERSION\t1\t0\nUSER\t1\t" + user + "\tservice=smtp\n");
    while (true) {
      std::string l = s.line(deadline);
      if (l.rfind("USER\t1\t", 0) == 0) return routing::UserAnswer::found;
      if (l.rfind("NOTFOUND\t1", 0) == 0) return routing::UserAnswer::not_found;
      if (l.rfind("FAIL\t1", 0) == 0) return routing::UserAnswer::failed;
      // VERSION, SPID: the handshake; anything else is ignored.
    }
  } catch (const std::exception&) {
    return routing::UserAnswer::failed;
  }
}

}  // namespace mailactor::actors
