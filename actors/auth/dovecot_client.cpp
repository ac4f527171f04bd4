#include "actors/auth/dovecot_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "protocol/base64.hpp"

namespace mailactor::auth {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  return out;
}

}  // namespace

std::string dovecot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\001':
        out += "\\1";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

DovecotClient::DovecotClient(std::string socket_path, std::string service,
                             std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), service_(std::move(service)), timeout_(timeout) {}

DovecotClient::~DovecotClient() {
  disconnect();
}

void DovecotClient::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

void DovecotClient::write_line(const std::string& line) {
  std::string data = line + "\n";
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::send(fd_, p, left, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write to dovecot: ") + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::string DovecotClient::read_line() {
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (true) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    if (buf_.size() > 65536) throw std::runtime_error("dovecot sent an over-long line");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("dovecot did not answer in time");
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno != EINTR) throw std::runtime_error(std::strerror(errno));
    if (rc <= 0) continue;
    char tmp[4096];
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n == 0) throw std::runtime_error("dovecot closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw std::runtime_error(std::string("read from dovecot: ") + std::strerror(errno));
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

void DovecotClient::connect() {
  if (fd_ >= 0) return;
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    disconnect();
    throw std::runtime_error("dovecot socket path too long: " + path_);
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    disconnect();
    throw std::runtime_error("cannot connect to dovecot at " + path_ + ": " + std::strerror(err));
  }
  try {
    write_line("VERSION\t1\t1");
    write_line("CPID\t" + std::to_string(::getpid()));
    bool version_ok = false;
    while (true) {
      std::string line = read_line();
      auto f = split_tabs(line);
      if (f[0] == "VERSION") version_ok = f.size() >= 2 && f[1] == "1";
      if (f[0] == "DONE") break;
    }
    if (!version_ok) throw std::runtime_error("dovecot speaks an unknown auth protocol version");
  } catch (...) {
    disconnect();
    throw;
  }
}

DovecotClient::Result DovecotClient::authenticate(std::string_view authzid, std::string_view user,
                                                  std::string_view secret,
                                                  std::string_view client_addr, bool secured) {
  Result r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      connect();
      std::string raw(authzid);
      raw += '\0';
      raw += user;
      raw += '\0';
      raw += secret;
      std::string id = std::to_string(next_id_++);
      std::string line =
          "AUTH\t" + id + "\tPLAIN\tservice=" + dovecot_escape(service_) + "\tnologin";
      if (!client_addr.empty()) line += "\trip=" + dovecot_escape(client_addr);
      if (secured) line += "\tsecured";
      line += "\tresp=" + protocol::base64_encode(raw);
      write_line(line);
      while (true) {
        auto f = split_tabs(read_line());
        if (f.size() < 2 || f[1] != id) continue;  // not ours
        bool temp = false;
        for (size_t i = 2; i < f.size(); ++i) {
          if (f[i].rfind("user=", 0) == 0) r.user = f[i].substr(5);
          if (f[i] == "temp") temp = true;
          if (f[i].rfind("reason=", 0) == 0) r.reason = f[i].substr(7);
        }
        if (f[0] == "OK") {
          r.outcome = Outcome::ok;
        } else if (f[0] == "FAIL") {
          r.outcome = temp ? Outcome::temporary_failure : Outcome::invalid;
        } else {
          // CONT: PLAIN needs no further round; anything else is a protocol error.
          disconnect();
          r.outcome = Outcome::temporary_failure;
          r.reason = "unexpected " + f[0] + " from dovecot";
        }
        return r;
      }
    } catch (const std::exception& e) {
      disconnect();
      r = Result{Outcome::temporary_failure, {}, e.what()};
    }
  }
  return r;
}

}  // namespace mailactor::auth
