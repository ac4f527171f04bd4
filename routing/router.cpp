#include "routing/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace mailactor::routing {
namespace {

// "bob" -> (bob, default_domain); "bob@x" -> (bob, x).
std::pair<std::string, std::string> split_target(const std::string& t,
                                                 const std::string& default_domain) {
  size_t at = t.rfind('@');
  if (at == std::string::npos) return {t, default_domain};
  return {t.substr(0, at), t.substr(at + 1)};
}

}  // namespace

bool Route::builtin() const {
  return parse_route(name_).has_value();
}

std::string to_string(const Route& r) {
  return r.name();
}

std::optional<Route> parse_route(std::string_view s) {
  for (auto r : {Route::ingest(), Route::maildir(), Route::relay(), Route::lmtp()})
    if (s == r.name()) return r;
  return std::nullopt;
}

const char* to_string(Resolution::Kind k) {
  switch (k) {
    case Resolution::Kind::accepted:
      return "accepted";
    case Resolution::Kind::not_local:
      return "not local";
    case Resolution::Kind::unknown_user:
      return "unknown user";
    case Resolution::Kind::loop:
      return "alias loop";
    case Resolution::Kind::too_deep:
      return "too many alias levels";
    case Resolution::Kind::too_wide:
      return "too many alias recipients";
    case Resolution::Kind::lookup_failed:
      return "lookup failed";
  }
  return "?";
}

struct Router::Walk {
  Resolution r;
  std::vector<std::string> path;  // the aliases being expanded, outermost first
  void fail(Resolution::Kind k, std::string step) {
    r.kind = k;
    r.steps.push_back(std::move(step));
  }
  void add(FinalRecipient f) {
    if (std::find(r.recipients.begin(), r.recipients.end(), f) == r.recipients.end())
      r.recipients.push_back(std::move(f));
  }
};

Router::Router(RouterSettings settings) : s_(std::move(settings)) {
  for (const auto& [name, alias] : s_.aliases.entries())
    for (const auto& t : alias.targets) {
      auto [local, domain] = split_target(t, s_.local_domains.empty() ? "" : s_.local_domains[0]);
      if (t.find('@') != std::string::npos && !is_local(domain))
        throw std::invalid_argument("alias \"" + name + "\" (line " + std::to_string(alias.line) +
                                    ") forwards to " + t +
                                    ": aliases forward to local domains only (forwarding "
                                    "elsewhere would need SRS to keep SPF passing; relay the "
                                    "domain instead)");
    }
}

bool Router::is_local(const std::string& domain) const {
  return std::find(s_.local_domains.begin(), s_.local_domains.end(), domain) !=
         s_.local_domains.end();
}

bool Router::may_block() const {
  for (const auto& s : s_.users)
    if (s->may_block()) return true;
  return false;
}

std::string Router::base_of(const std::string& local) const {
  if (s_.detail_separator.empty()) return local;
  size_t sep = local.find(s_.detail_separator);
  return sep == std::string::npos || sep == 0 ? local : local.substr(0, sep);
}

UserAnswer Router::find_user(const std::string& local, const std::string& domain) const {
  bool failed = false;
  for (const auto& source : s_.users) {
    UserAnswer a = source->find(local, domain);
    if (a == UserAnswer::found) return a;
    failed = failed || a == UserAnswer::failed;
  }
  return failed ? UserAnswer::failed : UserAnswer::not_found;
}

const Route* Router::route_of(const std::string& local, const std::string& domain) const {
  if (s_.routes.empty()) return nullptr;
  for (const auto& key : {local + "@" + domain, base_of(local) + "@" + domain, domain}) {
    auto it = s_.routes.find(key);
    if (it != s_.routes.end()) return &it->second;
  }
  return nullptr;
}

bool Router::add_routed(Walk& w, const std::string& local, const std::string& domain) const {
  const Route* route = route_of(local, domain);
  if (!route) return false;
  const std::string address = local + "@" + domain;
  w.r.steps.push_back(address + ": route " + route->name());
  w.add({address, *route, ""});
  return true;
}

void Router::expand(Walk& w, const std::string& local, const std::string& domain,
                    size_t depth) const {
  if (w.r.kind != Resolution::Kind::accepted) return;
  const std::string key = local + "@" + domain;
  if (depth > s_.max_depth)
    return w.fail(Resolution::Kind::too_deep,
                  key + ": more than " + std::to_string(s_.max_depth) + " alias levels");
  if (w.r.recipients.size() >= s_.max_expansion)
    return w.fail(Resolution::Kind::too_wide,
                  "more than " + std::to_string(s_.max_expansion) + " recipients");
  if (add_routed(w, local, domain)) return;
  // An alias that names itself ("alice: alice, archive") means the user's own mailbox.
  const bool inside_itself = std::find(w.path.begin(), w.path.end(), key) != w.path.end();
  auto expand_alias = [&](const Alias& a, const std::string& what) {
    std::string step = key + ": " + what + " (aliases line " + std::to_string(a.line) + ") ->";
    for (const auto& t : a.targets)
      step += " " + t;
    w.r.steps.push_back(std::move(step));
    w.path.push_back(key);
    for (const auto& t : a.targets) {
      auto [tl, td] = split_target(t, domain);
      expand(w, tl, td, depth + 1);
    }
    w.path.pop_back();
  };
  std::vector<std::string> candidates{local};
  if (base_of(local) != local) candidates.push_back(base_of(local));
  for (const auto& name : candidates) {
    const Alias* alias = inside_itself ? nullptr : s_.aliases.find(name, domain);
    if (alias) return expand_alias(*alias, "alias");
    UserAnswer answer = find_user(name, domain);
    if (answer == UserAnswer::failed)
      return w.fail(Resolution::Kind::lookup_failed, key + ": user lookup failed");
    if (answer == UserAnswer::found) {
      std::string mailbox = name + "@" + domain;
      w.r.steps.push_back(key + ": mailbox " + mailbox);
      return w.add({mailbox, s_.mailbox_route, mailbox});
    }
  }
  if (inside_itself) return w.fail(Resolution::Kind::loop, key + ": alias loop");
  if (const Alias* all = s_.aliases.catch_all(domain)) return expand_alias(*all, "catch-all");
  w.fail(Resolution::Kind::unknown_user, key + ": no such user");
}

Resolution Router::resolve(std::string_view address) const {
  std::string local, domain;
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) {  // <Postmaster>
    local = to_lower_ascii(address);
    domain = s_.local_domains.empty() ? "" : s_.local_domains[0];
  } else {
    local = to_lower_ascii(address.substr(0, at));
    domain = to_lower_ascii(address.substr(at + 1));
  }
  Walk w;
  w.r.kind = Resolution::Kind::accepted;
  if (add_routed(w, local, domain)) return w.r;
  if (!is_local(domain)) {
    w.fail(Resolution::Kind::not_local, domain + ": not a local domain");
    return w.r;
  }
  if (s_.mode == LocalMode::ingest) {
    w.r.steps.push_back(std::string(address) + ": ingest Maildir");
    w.add({std::string(address), Route::ingest(), ""});
    return w.r;
  }
  expand(w, local, domain, 0);
  if (w.r.kind != Resolution::Kind::accepted) w.r.recipients.clear();
  return w.r;
}

std::vector<std::string> Router::missing_postmasters() const {
  std::vector<std::string> missing;
  for (const auto& d : s_.local_domains)
    if (resolve("postmaster@" + d).kind != Resolution::Kind::accepted) missing.push_back(d);
  return missing;
}

}  // namespace mailactor::routing
