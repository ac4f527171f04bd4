// Listening sockets are opened by the app, not by CAF, so a bad address or a taken port is a
// clear start-up error, and port 0 can be resolved before anything runs.
#pragma once

#include <cstdint>
#include <string>

namespace mailactor::app {

struct ListenSocket {
  int fd = -1;
  std::string host;
  uint16_t port = 0;  // the bound port (resolves port 0)
};

// Throws std::runtime_error naming the address and the reason.
ListenSocket open_listen_socket(const std::string& host, uint16_t port, int backlog = 1024);

}  // namespace mailactor::app
