// SMTP replies: a code, an optional RFC 3463 enhanced status and one or more text lines.
#pragma once

#include <string>
#include <vector>

namespace mailactor::protocol {

struct Reply {
  int code = 0;
  std::string status;  // enhanced status code ("2.1.0"); empty where RFC 2034 exempts it
  std::vector<std::string> lines;

  bool positive() const { return code >= 200 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  // The whole reply on the wire, CRLF after every line, multi-line form when needed.
  std::string wire() const;
  // The reply as one log-friendly line ("550 5.7.1 Relay access denied").
  std::string summary() const;
};

Reply reply(int code, std::string status, std::string text);

}  // namespace mailactor::protocol
