// The router: what becomes of one recipient address, decided at RCPT time. Plain C++ (no CAF,
// no I/O): the session asks it, `mailactor route` prints its answer, the unit tests drive it.
//
// Order for an address at a local domain (mode "mailboxes"): an alias for the exact address,
// then a user of that name, then the same two without the +detail, then the domain's
// catch-all; an alias's targets are resolved the same way, at most 10 deep, duplicates removed,
// loops refused. Mode "ingest" accepts every local part into the one ingest Maildir. Before all
// of that, an address (or its domain, local or not) listed in [routing.routes] goes to the route
// listed there.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routing/alias_table.hpp"
#include "routing/user_source.hpp"

namespace mailactor::routing {

// Where a final recipient is delivered: one of the built-in routes, or a delivery target
// registered under its own name (include/mailactor/delivery_target.hpp). The queue stores the
// name; the deliverer hands the recipient to the pool of targets of that name.
class Route {
 public:
  static Route ingest() { return Route("ingest"); }    // the one ingest Maildir, envelope JSON
  static Route maildir() { return Route("maildir"); }  // the user's Maildir under mailbox_root
  static Route relay() { return Route("relay"); }      // another domain: SMTP to MX or smarthost
  static Route lmtp() { return Route("lmtp"); }        // the user's mailbox behind LMTP (Dovecot)
  static Route plugin(std::string name) { return Route(std::move(name)); }

  const std::string& name() const { return name_; }
  bool builtin() const;
  bool operator==(const Route& o) const { return name_ == o.name_; }
  bool operator!=(const Route& o) const { return name_ != o.name_; }
  bool operator<(const Route& o) const { return name_ < o.name_; }

 private:
  explicit Route(std::string name) : name_(std::move(name)) {}
  std::string name_;
};
std::string to_string(const Route& r);
// A built-in route's name ("pipe" and plug-in names are not).
std::optional<Route> parse_route(std::string_view s);

enum class LocalMode {
  ingest,     // every local part at a local domain is accepted (the pipeline's catch-all)
  mailboxes,  // only addresses the aliases and user sources know
};

struct FinalRecipient {
  std::string address;  // lower case, +detail removed for mailboxes
  Route route = Route::ingest();
  std::string target;  // maildir, lmtp: the mailbox ("alice@example.test"); otherwise empty
  bool operator==(const FinalRecipient& o) const {
    return address == o.address && route == o.route && target == o.target;
  }
};

struct Resolution {
  enum class Kind {
    accepted,
    not_local,      // not one of our domains: the relay policy decides
    unknown_user,   // 550 5.1.1
    loop,           // an alias that leads back to itself: 550 5.4.6
    too_deep,       // aliases nested deeper than max_depth: 550 5.4.6
    too_wide,       // an expansion to more than max_expansion recipients: 550 5.4.6
    lookup_failed,  // a user source could not answer: 451 4.3.0
  };
  Kind kind = Kind::unknown_user;
  std::vector<FinalRecipient> recipients;  // accepted: one or more, no duplicates
  std::vector<std::string> steps;          // how it was decided, for `mailactor route` and logs
};
const char* to_string(Resolution::Kind k);

struct RouterSettings {
  std::vector<std::string> local_domains;  // lower case; the first stands for <Postmaster>
  LocalMode mode = LocalMode::ingest;
  Route mailbox_route = Route::maildir();  // where a user's mail goes: maildir or lmtp
  // Addresses and domains (lower case) whose mail goes elsewhere than the rules above say:
  // [routing.routes], e.g. "hooks.example.test" -> webhook. An address wins over its domain.
  std::map<std::string, Route> routes;
  std::string detail_separator = "+";  // empty: no subaddressing
  AliasTable aliases;
  std::vector<std::shared_ptr<const UserSource>> users;
  size_t max_depth = 10;        // alias levels
  size_t max_expansion = 1000;  // final recipients of one address
};

class Router {
 public:
  // Throws std::invalid_argument naming the alias line when an alias targets another domain
  // (forwarding needs outbound delivery).
  explicit Router(RouterSettings settings);

  Resolution resolve(std::string_view address) const;
  bool is_local(const std::string& domain) const;
  // A user source may block: resolve() must run off the session's scheduler thread.
  bool may_block() const;
  // Local domains whose postmaster@ does not resolve (RFC 5321 §4.5.1 requires it).
  std::vector<std::string> missing_postmasters() const;
  const RouterSettings& settings() const { return s_; }

 private:
  struct Walk;
  void expand(Walk& w, const std::string& local, const std::string& domain, size_t depth) const;
  UserAnswer find_user(const std::string& local, const std::string& domain) const;
  std::string base_of(const std::string& local) const;  // without the +detail
  // [routing.routes]: the route for the address, its base or its domain, if listed.
  const Route* route_of(const std::string& local, const std::string& domain) const;
  bool add_routed(Walk& w, const std::string& local, const std::string& domain) const;

  RouterSettings s_;
};

}  // namespace mailactor::routing
