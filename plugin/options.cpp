// The plug-ins' option tables (include/mailactor/options.hpp): plain C++, in the lowest library
// every plug point (auth backends, user sources, delivery targets) links.
#include <mailactor/options.hpp>

#include <algorithm>

namespace mailactor {

std::vector<std::string> Options::keys() const {
  std::vector<std::string> k;
  for (const auto& [key, v] : values_)
    k.push_back(key);
  return k;
}

std::string Options::take(const std::string& key, const std::string& fallback) {
  taken_.push_back(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second.text;
}

std::string Options::take_required(const std::string& key) {
  if (!has(key)) fail(key, "is required");
  return take(key);
}

bool Options::take_bool(const std::string& key, bool fallback) {
  if (!has(key)) {
    taken_.push_back(key);
    return fallback;
  }
  std::string v = take(key);
  if (v == "true") return true;
  if (v == "false") return false;
  fail(key, "must be true or false");
}

long Options::take_int(const std::string& key, long fallback, long min, long max) {
  if (!has(key)) {
    taken_.push_back(key);
    return fallback;
  }
  std::string v = take(key);
  size_t used = 0;
  long n = 0;
  try {
    n = std::stol(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != v.size() || n < min || n > max)
    fail(key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return n;
}

void Options::fail(const std::string& key, const std::string& what) const {
  std::string where = file_;
  auto it = values_.find(key);
  if (it != values_.end() && it->second.line) where += ":" + std::to_string(it->second.line);
  throw OptionError(where + ": " + section_ + "." + key + ": " + what);
}

void Options::finish() const {
  for (const auto& [key, value] : values_)
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) fail(key, "unknown key");
}

}  // namespace mailactor
