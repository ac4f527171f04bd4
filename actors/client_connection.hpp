// A blocking client connection to an SMTP or LMTP server, every wait bounded by a timeout. Used
// by `mailactor send` and by delivery targets, which run as detached actors (a blocked read
// never holds a scheduler thread).
#pragma once

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
  ~ClientConnection();
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  void write(std::string_view bytes);  // throws std::runtime_error
  protocol::Reply read_reply();        // throws std::runtime_error on timeout, EOF, non-SMTP

 private:
  int fd_ = -1;
  int timeout_ms_;
  protocol::ReplyParser parser_;
};

}  // namespace mailactor::actors
