// A client for Dovecot's authentication protocol (the "auth-client" socket that Postfix's
// smtpd_sasl_type = dovecot uses), version 1.x: handshake, then one AUTH per request, answered
// OK / FAIL / CONT. Blocking, with timeouts (the socket is a ClientConnection); no CAF.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "actors/net/client_connection.hpp"

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
  std::string path_;
  std::string service_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<actors::ClientConnection> conn_;  // null: not connected
  unsigned long next_id_ = 1;
};

// Dovecot's tab-separated fields escape \t, \n, \1 and \\ (auth-client protocol).
std::string dovecot_escape(std::string_view s);

}  // namespace mailactor::auth
