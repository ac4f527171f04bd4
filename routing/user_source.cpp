#include "routing/user_source.hpp"

#include "routing/alias_table.hpp"

namespace mailactor::routing {

UserList::UserList(std::string name, const std::vector<std::string>& users)
    : name_(std::move(name)) {
  for (const auto& u : users)
    users_.insert(to_lower_ascii(u));
}

UserAnswer UserList::find(const std::string& local, const std::string& domain) const {
  if (users_.count(local + "@" + domain) > 0 || users_.count(local) > 0) return UserAnswer::found;
  return UserAnswer::not_found;
}

}  // namespace mailactor::routing
