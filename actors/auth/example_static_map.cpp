// Example of a custom authentication backend, complete and used by the tests: users and their
// crypt(3) hashes straight from the config,
//
//   [auth]
//   backend = "static-map"
//   [auth.static-map]
//   alice = "$y$j9T$..."     # from `mailactor passwd`
//
// Writing your own: implement auth_actor (one handler: authenticate_atom + auth_request ->
// auth_result), write a factory that reads its options, and register it under a name before the
// server starts. README "Write your own auth actor" walks through it.
#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <memory>

#include "actors/auth/backend_registry.hpp"

namespace mailactor::auth {
namespace {

using Users = std::map<std::string, std::string>;

// 1. The actor: answers every authenticate request.
auth_actor::behavior_type static_map_backend(auth_actor::pointer,
                                             std::shared_ptr<const Users> users) {
  return {
      [=](authenticate_atom, const auth_request& r) {
        auto it = users->find(r.user);
        if (it != users->end() && verify_password(r.secret, it->second))
          return auth_result::ok(r.user);
        return auth_result::invalid("unknown user or wrong password");
      },
  };
}

// 2. The factory: reads [auth.static-map] (every key is a user) and spawns the actor. crypt(3)
// is CPU work, so the actor gets its own thread (detached) instead of a scheduler thread.
auth_actor make_static_map(BackendContext& ctx, BackendOptions& options) {
  auto users = std::make_shared<Users>();
  for (const auto& name : options.keys()) {
    std::string hash = options.take(name);
    if (hash.empty() || hash[0] != '$') options.fail(name, "must be a crypt(3) hash");
    (*users)[name] = hash;
  }
  spdlog::info("auth: static-map with {} users", users->size());
  return ctx.system->spawn<caf::detached>(static_map_backend, std::shared_ptr<const Users>(users));
}

}  // namespace

// 3. The registration, under the name the config uses.
void register_static_map_backend() {
  register_builtin_backend("static-map", make_static_map);
}

}  // namespace mailactor::auth
