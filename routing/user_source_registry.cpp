// The user sources plug-ins registered by name (include/mailactor/user_source.hpp).
#include <map>
#include <mutex>
#include <stdexcept>

#include "routing/api_version.hpp"
#include "routing/user_source.hpp"

namespace mailactor::routing {
namespace {

std::mutex registry_mutex;

std::map<std::string, UserSourceFactory>& registry() {
  static std::map<std::string, UserSourceFactory> r;
  return r;
}

}  // namespace

void register_user_source_for_api(int api_version, const std::string& name,
                                  UserSourceFactory factory) {
  check_api_version(api_version, "user source \"" + name + "\"");
  std::lock_guard<std::mutex> lock(registry_mutex);
  registry()[name] = std::move(factory);
}

std::shared_ptr<const UserSource> make_user_source(const std::string& name, Options& options) {
  UserSourceFactory factory;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = registry().find(name);
    if (it == registry().end()) {
      std::string known;
      for (const auto& [n, f] : registry())
        known += (known.empty() ? "" : ", ") + n;
      throw std::invalid_argument(
          "sources: no user source \"" + name +
          "\" is registered (registered: " + (known.empty() ? "none" : known) + ")");
    }
    factory = it->second;
  }
  auto source = factory(options);
  options.finish();
  return source;
}

}  // namespace mailactor::routing
