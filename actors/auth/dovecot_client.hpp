// A client for Dovecot's authentication protocol (the "auth-client" socket that Postfix's
// smtpd_sasl_type = dovecot uses), version 1.x: handshake, then one AUTH per request, answered
// OK / FAIL / CONT. Blocking, with timeouts; plain C++, no CAF.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mailactor::auth {

class DovecotClient {
 public:
  enum class Outcome { ok, invalid, temporary_failure };
  struct Result {
    Outcome outcome = Outcome::temporary_failure;
    std::string user;    // OK: the user Dovecot authenticated
    std::string reason;  // for logs
  };

  DovecotClient(std::string socket_path, std::string service, std::chrono::milliseconds timeout);
  ~DovecotClient();
  DovecotClient(const DovecotClient&) = delete;
  DovecotClient& operator=(const DovecotClient&) = delete;

  // Connects and handshakes when not connected; throws std::runtime_error on failure.
  void connect();
  // PLAIN towards Dovecot, whatever mechanism the SMTP client used. Never throws: trouble is a
  // temporary failure (and the next call reconnects).
  Result authenticate(std::string_view authzid, std::string_view user, std::string_view secret,
                      std::string_view client_addr, bool secured);

 private:
  void disconnect();
  void write_line(const std::string& line);
  std::string read_line();

  std::string path_;
  std::string service_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buf_;
  unsigned long next_id_ = 1;
};

// Dovecot's tab-separated fields escape \t, \n, \1 and \\ (auth-client protocol).
std::string dovecot_escape(std::string_view s);

}  // namespace mailactor::auth
