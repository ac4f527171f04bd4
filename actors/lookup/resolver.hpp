// The resolver actors: the router run on detached threads for sessions whose router has a user
// source that may block (Dovecot's userdb), so a slow lookup never holds a scheduler thread. A
// front spreads requests over a fixed number of workers; the session bounds each request with
// its own timeout (451 4.3.0 when it passes).
#pragma once

#include <caf/actor_system.hpp>

#include <memory>

#include "actors/messages.hpp"
#include "routing/router_source.hpp"

namespace mailactor::actors {

resolver_actor spawn_resolvers(caf::actor_system& system,
                               std::shared_ptr<routing::RouterSource> router, size_t workers);

}  // namespace mailactor::actors
