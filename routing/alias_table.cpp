#include "routing/alias_table.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mailactor::routing {
namespace {

std::string_view trim(std::string_view s) {
  const char* space = " \t\r";
  size_t b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(space);
  return s.substr(b, e - b + 1);
}

// What is wrong with an address as a name or target, or "" when nothing is.
std::string address_problem(std::string_view a) {
  if (a.empty()) return "empty address";
  if (a.find_first_of(" \t\"") != std::string_view::npos) return "space or quote in address";
  if (a.front() == '|' || a.front() == '/' || a.front() == ':')
    return "pipes, files and includes are not supported";
  size_t at = a.find('@');
  if (at != std::string_view::npos) {
    if (at == 0 || at + 1 == a.size()) return "empty local part or domain";
    if (a.find('@', at + 1) != std::string_view::npos) return "more than one '@'";
  }
  return "";
}

}  // namespace

std::string to_lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void AliasTable::add_line(std::string_view line, size_t number) {
  line = trim(line.substr(0, line.find('#')));
  if (line.empty()) return;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    problems_.push_back({number, "expected \"name: target, ...\""});
    return;
  }
  std::string name = to_lower_ascii(trim(line.substr(0, colon)));
  std::string why = address_problem(name);
  if (why.empty() && name.find('*') != std::string::npos &&
      (name.rfind("*@", 0) != 0 || name.size() < 3))
    why = "a catch-all is written \"*@domain\"";
  if (!why.empty()) {
    problems_.push_back({number, name + ": " + why});
    return;
  }
  Alias alias;
  alias.line = number;
  std::string_view rest = line.substr(colon + 1);
  while (true) {
    size_t comma = rest.find(',');
    std::string target = to_lower_ascii(trim(rest.substr(0, comma)));
    why = address_problem(target);
    if (why.empty() && target.find('*') != std::string::npos) why = "'*' in a target";
    if (!why.empty()) {
      problems_.push_back({number, "target \"" + target + "\": " + why});
      return;
    }
    alias.targets.push_back(std::move(target));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!entries_.emplace(name, std::move(alias)).second)
    problems_.push_back({number, name + ": defined twice"});
}

AliasTable AliasTable::parse(std::string_view text) {
  AliasTable t;
  size_t number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    t.add_line(text.substr(0, nl), ++number);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return t;
}

AliasTable AliasTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read aliases file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str());
}

const Alias* AliasTable::find(const std::string& local, const std::string& domain) const {
  auto it = entries_.find(local + "@" + domain);
  if (it == entries_.end()) it = entries_.find(local);
  return it == entries_.end() ? nullptr : &it->second;
}

const Alias* AliasTable::catch_all(const std::string& domain) const {
  auto it = entries_.find("*@" + domain);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace mailactor::routing
