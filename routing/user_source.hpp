// Where the router learns which mailboxes exist. A source answers for one address at a time;
// sources that may block (Dovecot's userdb) are asked by an actor, never by the router itself.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

namespace mailactor::routing {

enum class UserAnswer {
  found,
  not_found,
  failed,  // the source could not answer now (451 4.3.0)
};

class UserSource {
 public:
  virtual ~UserSource() = default;
  // local and domain are lower case.
  virtual UserAnswer find(const std::string& local, const std::string& domain) const = 0;
  virtual std::string name() const = 0;
  // A source that waits on something (a socket): the session then asks through the resolver
  // actors, never on its own scheduler thread.
  virtual bool may_block() const { return false; }
};

// A fixed list of users: the static list of the config, or the names in the passwd-file the
// auth backend reads. "alice@example.test" is that mailbox only; a bare "alice" is a mailbox at
// every local domain (as a passwd-file user "alice" owns alice@ any domain when logging in).
class UserList : public UserSource {
 public:
  UserList(std::string name, const std::vector<std::string>& users);
  UserAnswer find(const std::string& local, const std::string& domain) const override;
  std::string name() const override { return name_; }
  size_t size() const { return users_.size(); }

 private:
  std::string name_;
  std::unordered_set<std::string> users_;  // lower case
};

}  // namespace mailactor::routing
