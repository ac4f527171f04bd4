#include "actors/auth/backend_registry.hpp"

#include <algorithm>
#include <mutex>

namespace mailactor::auth {
namespace {

std::map<std::string, BackendFactory>& registry() {
  static std::map<std::string, BackendFactory> r;
  return r;
}
std::mutex registry_mutex;

}  // namespace

std::string BackendOptions::take(const std::string& key, const std::string& fallback) {
  taken_.push_back(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second.text;
}

std::string BackendOptions::take_required(const std::string& key) {
  if (!has(key)) fail(key, "is required");
  return take(key);
}

bool BackendOptions::take_bool(const std::string& key, bool fallback) {
  if (!has(key)) {
    taken_.push_back(key);
    return fallback;
  }
  std::string v = take(key);
  if (v == "true") return true;
  if (v == "false") return false;
  fail(key, "must be true or false");
}

long BackendOptions::take_int(const std::string& key, long fallback, long min, long max) {
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

void BackendOptions::fail(const std::string& key, const std::string& what) const {
  std::string where = file_;
  auto it = values_.find(key);
  if (it != values_.end() && it->second.line) where += ":" + std::to_string(it->second.line);
  throw AuthConfigError(where + ": " + section_ + "." + key + ": " + what);
}

void BackendOptions::finish() const {
  for (const auto& [key, value] : values_)
    if (std::find(taken_.begin(), taken_.end(), key) == taken_.end()) fail(key, "unknown key");
}

void register_backend(const std::string& name, BackendFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry()[name] = std::move(factory);
}

std::vector<std::string> backend_names() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  std::vector<std::string> names;
  for (const auto& [name, f] : registry())
    names.push_back(name);
  return names;
}

auth_actor make_backend(const std::string& name, BackendContext& ctx, BackendOptions& options) {
  BackendFactory factory;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(name);
    if (it == registry().end()) {
      std::string known;
      for (const auto& [n, f] : registry())
        known += (known.empty() ? "" : ", ") + n;
      throw AuthConfigError("unknown auth backend \"" + name + "\" (known: " + known + ")");
    }
    factory = it->second;
  }
  auth_actor backend = factory(ctx, options);
  options.finish();
  return backend;
}

}  // namespace mailactor::auth
