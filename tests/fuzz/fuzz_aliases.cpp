// libFuzzer target: the aliases file parser and the router over what it parsed. Every line is an
// alias or a reported problem; resolving every alias ends (loops and depth are caught), an
// accepted address has recipients without duplicates, a refused one has none.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "routing/router.hpp"

using namespace mailactor::routing;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  AliasTable table = AliasTable::parse(text);
  size_t lines = 1;
  for (char c : text)
    lines += c == '\n';
  if (table.entries().size() + table.problems().size() > lines) std::abort();
  for (const auto& p : table.problems())
    if (p.line == 0 || p.line > lines || p.what.empty()) std::abort();

  RouterSettings s;
  s.local_domains = {"example.test"};
  s.mode = LocalMode::mailboxes;
  std::vector<std::string> users;
  for (const auto& [name, alias] : table.entries()) {
    if (alias.targets.empty()) std::abort();
    size_t at = name.rfind('@');
    if (at != std::string::npos) s.local_domains.push_back(name.substr(at + 1));
    users.push_back(alias.targets.front());  // some targets exist, others do not
  }
  s.aliases = table;
  s.users.push_back(std::make_shared<UserList>("fuzz", users));
  try {
    Router router(std::move(s));
    for (const auto& [name, alias] : table.entries()) {
      std::string address = name.find('@') == std::string::npos ? name + "@example.test" : name;
      Resolution r = router.resolve(address);
      if ((r.kind == Resolution::Kind::accepted) == r.recipients.empty()) std::abort();
      for (size_t i = 0; i < r.recipients.size(); ++i)
        if (std::count(r.recipients.begin(), r.recipients.end(), r.recipients[i]) != 1)
          std::abort();
    }
  } catch (const std::invalid_argument&) {
    // a target at a domain that is not local: a config error, reported by the caller
  }
  return 0;
}
