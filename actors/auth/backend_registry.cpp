#include "actors/auth/backend_registry.hpp"

#include "plugin/api_version.hpp"
#include "plugin/plugin_registry.hpp"

namespace mailactor::auth {
namespace {

PluginRegistry<BackendFactory>& registry() {
  static PluginRegistry<BackendFactory> r;
  return r;
}

}  // namespace

void register_backend_for_api(int api_version, const std::string& name, BackendFactory factory) {
  check_api_version(api_version, "auth backend \"" + name + "\"");
  registry().put(name, std::move(factory));
}

void register_builtin_backend(const std::string& name, BackendFactory factory) {
  registry().put_default(name, std::move(factory));
}

std::vector<std::string> backend_names() {
  return registry().names();
}

auth_actor make_backend(const std::string& name, BackendContext& ctx, BackendOptions& options) {
  auto factory = registry().find(name);
  if (!factory)
    throw AuthConfigError("unknown auth backend \"" + name + "\" (known: " + registry().listed() +
                          ")");
  auth_actor backend = (*factory)(ctx, options);
  options.finish();
  return backend;
}

}  // namespace mailactor::auth
