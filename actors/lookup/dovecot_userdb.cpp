#include "actors/lookup/dovecot_userdb.hpp"

#include "actors/net/client_connection.hpp"

namespace mailactor::actors {

routing::UserAnswer DovecotUserdb::find(const std::string& local, const std::string& domain) const {
  const std::string user = local + "@" + domain;
  // A name with whitespace or control characters cannot be sent as one field.
  for (unsigned char c : user)
    if (c <= ' ' || c == 0x7f) return routing::UserAnswer::not_found;
  try {
    ClientConnection c("unix:" + path_, timeout_);
    c.limit_to(std::chrono::steady_clock::now() + timeout_);  // the whole lookup
    c.write("VERSION\t1\t0\nUSER\t1\t" + user + "\tservice=smtp\n");
    while (true) {
      std::string l = c.read_line();
      if (l.rfind("USER\t1\t", 0) == 0) return routing::UserAnswer::found;
      if (l.rfind("NOTFOUND\t1", 0) == 0) return routing::UserAnswer::not_found;
      if (l.rfind("FAIL\t1", 0) == 0) return routing::UserAnswer::failed;
      // VERSION, SPID: the handshake; anything else is ignored.
    }
  } catch (const std::exception&) {
    return routing::UserAnswer::failed;
  }
}

}  // namespace mailactor::actors
