// A blocking client connection to an SMTP or LMTP server (replies) or a line-based service such
// as Dovecot's auth-userdb (lines), every wait bounded by a timeout. Used by `mailactor send`,
// the delivery targets and the Dovecot userdb source, which run on detached actors (a blocked
// read never holds a scheduler thread).
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <string>
#include <string_view>

#include "protocol/reply.hpp"
#include "protocol/reply_parser.hpp"

namespace mailactor::actors {

class ClientConnection {
 public:
  // `address`: "unix:/path/to/socket", "HOST:PORT" or "[IPv6]:PORT". Throws std::runtime_error
  // naming the address when it cannot connect.
  ClientConnection(const std::string& address, std::chrono::milliseconds timeout);
  // The same with its own bound on connecting (an unreachable host must not take minutes).
  ClientConnection(const std::string& address, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds timeout);
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // TLS from now on (after a 220 to STARTTLS, or at once for implicit TLS), SNI `server_name`.
  // Whatever the server sent after its 220 in plaintext is dropped unread (an attacker on the
  // path could otherwise answer our first command inside TLS).
  // With `verify_name` the chain must verify against the context's trust store and the
  // certificate must name it; otherwise the result is only recorded. Throws on failure.
  struct TlsInfo {
    std::string version;  // "TLSv1.3"
    std::string cipher;
    bool verified = false;  // chain and name checked and good
  };
  TlsInfo start_tls(SSL_CTX* ctx, const std::string& server_name, bool verify_name);
  bool encrypted() const { return ssl_ != nullptr; }

  // Throws std::runtime_error, also when the server has sent something no command asked for yet
  // (a reply we have not read would answer the next command: a desync, never a reply).
  void write(std::string_view bytes);
  protocol::Reply read_reply();  // throws std::runtime_error on timeout, EOF, non-SMTP
  std::string read_line();       // up to '\n', without it; throws on timeout, EOF, over-long lines
  // From now on no read waits past `deadline` either (a whole exchange bounded, not each read).
  void limit_to(std::chrono::steady_clock::time_point deadline) { deadline_ = deadline; }

 private:
  void refuse_unasked_input() const;
  // Bytes that arrived within the timeout; throws on timeout and EOF.
  std::string_view receive();
  std::string_view receive_tls();  // empty: no application data in this record

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  int timeout_ms_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  protocol::ReplyParser parser_;
  char buf_[4096];
  std::string lines_;  // read_line's unfinished line
};

}  // namespace mailactor::actors
