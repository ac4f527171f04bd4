// The user sources plug-ins registered by name (include/mailactor/user_source.hpp).
#include <stdexcept>

#include "plugin/api_version.hpp"
#include "plugin/plugin_registry.hpp"
#include "routing/user_source.hpp"

namespace mailactor::routing {
namespace {

PluginRegistry<UserSourceFactory>& registry() {
  static PluginRegistry<UserSourceFactory> r;
  return r;
}

}  // namespace

void register_user_source_for_api(int api_version, const std::string& name,
                                  UserSourceFactory factory) {
  check_api_version(api_version, "user source \"" + name + "\"");
  registry().put(name, std::move(factory));
}

std::shared_ptr<const UserSource> make_user_source(const std::string& name, Options& options) {
  auto factory = registry().find(name);
  if (!factory)
    throw std::invalid_argument("sources: no user source \"" + name +
                                "\" is registered (registered: " + registry().listed() + ")");
  auto source = (*factory)(options);
  options.finish();
  return source;
}

}  // namespace mailactor::routing
