// Dovecot's userdb as a user source: a USER lookup over the auth-userdb socket (the auth-master
// protocol). NOTFOUND: no such user (550 5.1.1); FAIL, no answer within the timeout or no
// Dovecot at all: the lookup failed (451 4.3.0). Blocking: only the resolver actors call it.
// One connection per lookup, so concurrent lookups need no lock.
#pragma once

#include <chrono>
#include <string>

#include "routing/user_source.hpp"

namespace mailactor::actors {

class DovecotUserdb : public routing::UserSource {
 public:
  DovecotUserdb(std::string socket_path, std::chrono::milliseconds timeout)
      : path_(std::move(socket_path)), timeout_(timeout) {}
  routing::UserAnswer find(const std::string& local, const std::string& domain) const override;
  std::string name() const override { return "dovecot userdb " + path_; }
  bool may_block() const override { return true; }

 private:
  std::string path_;
  std::chrono::milliseconds timeout_;
};

}  // namespace mailactor::actors
