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

// The replies RFC 5321 allows to MAIL, RCPT and the end of data: success or a refusal (2xx, 4xx,
// 5xx). 1xx, 3xx and anything past 5xx answer none of them.
inline bool is_final_reply(const Reply& r) {
  const int klass = r.code / 100;
  return klass == 2 || klass == 4 || klass == 5;
}

}  // namespace mailactor::protocol
