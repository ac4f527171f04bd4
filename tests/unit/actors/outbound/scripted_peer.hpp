// A scripted SMTP server on 127.0.0.1 for the client side's tests: one connection, served on a
// thread of its own by a script that writes exactly the bytes a test wants (in one write, so a
// test controls what arrives together) and reads the client's lines, in plaintext or TLS.
#pragma once

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace mailactor::testing {

class ScriptedPeer {
 public:
  class Conn {
   public:
    explicit Conn(int fd) : fd_(fd) {}
    ~Conn() {
      if (ssl_) SSL_free(ssl_);
    }
    void send(const std::string& bytes) {
      if (ssl_)
        SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      else
        ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    // One line from the client, without its CRLF ("" and gone() when the client went away, or
    // after 5 s).
    std::string line() {
      std::string out;
      char c;
      while (true) {
        if (!ssl_ || SSL_pending(ssl_) == 0) {
          pollfd p{fd_, POLLIN, 0};
          if (::poll(&p, 1, 5000) != 1) break;
        }
        int n = ssl_ ? SSL_read(ssl_, &c, 1) : static_cast<int>(::recv(fd_, &c, 1, 0));
        if (n <= 0) break;
        if (c == '\n') {
          if (!out.empty() && out.back() == '\r') out.pop_back();
          return out;
        }
        out += c;
      }
      gone_ = true;
      return out;
    }
    // The content after a 354, up to the line with the lone dot (unstuffed, CRLF kept).
    std::string data() {
      std::string out;
      for (std::string l = line(); l != "." && !gone_; l = line())
        out += (l.rfind("..", 0) == 0 ? l.substr(1) : l) + "\r\n";
      return out;
    }
    // Reads until the client closes (or 5 s pass): every line it still sent.
    std::vector<std::string> rest() {
      std::vector<std::string> out;
      for (std::string l = line(); !gone_; l = line())
        out.push_back(l);
      return out;
    }
    bool gone() const { return gone_; }
    bool start_tls(SSL_CTX* ctx) {
      ssl_ = SSL_new(ctx);
      SSL_set_fd(ssl_, fd_);
      return SSL_accept(ssl_) == 1;
    }

   private:
    int fd_;
    SSL* ssl_ = nullptr;
    bool gone_ = false;
  };

  explicit ScriptedPeer(std::function<void(Conn&)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    ::listen(listen_fd_, 1);
    socklen_t len = sizeof sa;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    port_ = ntohs(sa.sin_port);
    thread_ = std::thread([this, script = std::move(script)] {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) return;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      {
        Conn c(fd);
        script(c);
      }
      ::close(fd);
    });
  }
  ~ScriptedPeer() {
    thread_.join();
    ::close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace mailactor::testing
