// `mailactor send`: a small SMTP client that sends one message and prints the queue id.
#pragma once

#include <string>
#include <vector>

namespace mailactor::app {

struct SendOptions {
  std::string server = "127.0.0.1:2525";
  std::string from;
  std::vector<std::string> to;
  std::string subject;  // when set, From/To/Subject/Date/Message-ID headers are added
  std::string file;     // the message (or body with --subject); empty or "-": stdin
  std::string helo = "localhost";
  int timeout_seconds = 60;
};

// 0: accepted (the queue id is printed); 1: refused (4xx/5xx); 2: usage or I/O error.
int send_message(const SendOptions& options);

}  // namespace mailactor::app
