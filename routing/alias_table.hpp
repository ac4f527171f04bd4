// The aliases file: one alias per line, "name: target, target2, ...".
//   name   "local@domain" (that domain only), "local" (every local domain), or "*@domain" (the
//          domain's catch-all: used only when no alias or user matches)
//   target "local@domain", or "local" (at the domain of the address being expanded)
// '#' starts a comment; blank lines are ignored. Names and targets are compared
// case-insensitively (stored lower case). Plain C++, no I/O but load().
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mailactor::routing {

struct AliasProblem {
  size_t line;
  std::string what;
};

struct Alias {
  std::vector<std::string> targets;  // lower case, as written ("bob" or "bob@example.test")
  size_t line = 0;                   // where it was defined, for errors
};

class AliasTable {
 public:
  // Parses text; bad lines are skipped and reported in problems().
  static AliasTable parse(std::string_view text);
  // Reads and parses a file; throws std::runtime_error when it cannot be read.
  static AliasTable load(const std::string& path);

  // The alias for local@domain (lower case): the domain's own first, then the bare name.
  const Alias* find(const std::string& local, const std::string& domain) const;
  // The domain's catch-all ("*@domain"), or nullptr.
  const Alias* catch_all(const std::string& domain) const;

  const std::map<std::string, Alias>& entries() const { return entries_; }
  const std::vector<AliasProblem>& problems() const { return problems_; }

 private:
  void add_line(std::string_view line, size_t number);
  std::map<std::string, Alias> entries_;  // "local@domain", "local" or "*@domain"
  std::vector<AliasProblem> problems_;
};

std::string to_lower_ascii(std::string_view s);

}  // namespace mailactor::routing
