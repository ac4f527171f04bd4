// The built-in user sources and the registry of plug-in ones. The interface itself
// (UserSource, UserAnswer) is public: include/mailactor/user_source.hpp.
#pragma once

#include <mailactor/user_source.hpp>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace mailactor::routing {

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

// The plug-in sources by name (register_user_source): builds one; throws std::invalid_argument
// naming the registered ones when `name` is not one of them, OptionError for bad options.
std::shared_ptr<const UserSource> make_user_source(const std::string& name, Options& options);

}  // namespace mailactor::routing
