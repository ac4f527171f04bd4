#include "actors/auth/backend_registry.hpp"

#include <algorithm>
#include <mutex>

#include "routing/api_version.hpp"

namespace mailactor::auth {
namespace {

std::map<std::string, BackendFactory>& registry() {
  static std::map<std::string, BackendFactory> r;
  return r;
}
std::mutex registry_mutex;

}  // namespace

void register_backend_for_api(int api_version, const std::string& name, BackendFactory factory) {
  check_api_version(api_version, "auth backend \"" + name + "\"");
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry()[name] = std::move(factory);
}

void register_builtin_backend(const std::string& name, BackendFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry().emplace(name, std::move(factory));
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
