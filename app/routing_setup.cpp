#include "app/routing_setup.hpp"

#include <iostream>
#include <stdexcept>

#include "actors/auth/passwd_file.hpp"
#include "actors/lookup/dovecot_userdb.hpp"

namespace mailactor::app {
namespace {

std::vector<std::string> passwd_file_users(const std::string& path) {
  auto file = auth::PasswdFile::load(path);
  std::vector<std::string> users;
  for (const auto& [user, entry] : file.entries())
    users.push_back(user);
  return users;
}

routing::AliasTable load_aliases(const std::string& path) {
  if (path.empty()) return {};
  auto table = routing::AliasTable::load(path);
  if (!table.problems().empty()) {
    const auto& p = table.problems().front();
    throw ConfigError(path + ":" + std::to_string(p.line) + ": " + p.what);
  }
  return table;
}

}  // namespace

std::shared_ptr<const routing::Router> make_router(const Config& c) {
  routing::RouterSettings s;
  s.local_domains = c.local_domains;
  s.mode = c.routing.local;
  s.detail_separator = c.routing.detail_separator;
  s.mailbox_route = c.routing.mailbox;
  s.routes = c.routing.routes;
  try {
    s.aliases = load_aliases(c.routing.aliases);
    if (!c.routing.users.empty())
      s.users.push_back(std::make_shared<routing::UserList>("static", c.routing.users));
    if (!c.routing.dovecot_userdb.empty())
      s.users.push_back(std::make_shared<actors::DovecotUserdb>(c.routing.dovecot_userdb,
                                                                c.routing.lookup_timeout));
    if (!c.routing.passwd_file.empty())
      s.users.push_back(std::make_shared<routing::UserList>(
          "passwd-file", passwd_file_users(c.routing.passwd_file)));
    for (const auto& name : c.routing.sources) {
      auto options = c.routing.source_options.for_name(name);
      s.users.push_back(routing::make_user_source(name, options));
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const OptionError& e) {
    throw ConfigError(e.what());
  } catch (const std::exception& e) {
    throw ConfigError(c.source + ": [routing]: " + e.what());
  }
  std::shared_ptr<const routing::Router> router;
  try {
    router = std::make_shared<const routing::Router>(std::move(s));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(c.routing.aliases + ": " + e.what());
  }
  for (const auto& domain : router->missing_postmasters())
    throw ConfigError(c.source + ": postmaster@" + domain +
                      " does not resolve (RFC 5321 requires it for every local domain): add a "
                      "user or an alias such as \"postmaster@" +
                      domain + ": you\"");
  return router;
}

int print_routes(const std::string& config, const std::vector<std::string>& addresses) {
  std::shared_ptr<const routing::Router> router;
  try {
    router = make_router(load_config(config));
  } catch (const std::exception& e) {
    std::cerr << "mailactor: " << e.what() << "\n";
    return 2;
  }
  int rc = 0;
  for (const auto& a : addresses) {
    auto r = router->resolve(a);
    std::cout << a << ": " << routing::to_string(r.kind);
    for (const auto& f : r.recipients)
      std::cout << "\n  -> " << f.address << " (" << routing::to_string(f.route)
                << (f.target.empty() ? "" : " " + f.target) << ")";
    std::cout << "\n";
    for (const auto& step : r.steps)
      std::cout << "     " << step << "\n";
    if (r.kind != routing::Resolution::Kind::accepted) rc = 1;
  }
  return rc;
}

}  // namespace mailactor::app
