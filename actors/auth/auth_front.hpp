// The auth front: the one actor sessions ask. It forwards each request to the current backend
// with a timeout (no answer in time, or a failed backend: temporary_failure, so the client sees
// 454 and never 535), and swaps backends at runtime: requests already sent finish on the old
// one, which is retired once they cannot be pending any more. Failed attempts count against a
// budget per address and network across all sessions (auth_budget.hpp): a client past it gets
// temporary_failure (454) without the backend being asked.
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <string>

#include "actors/auth/auth_budget.hpp"
#include "actors/auth/backend_registry.hpp"

namespace mailactor::auth {

auth_front_actor spawn_auth_front(caf::actor_system& system, auth_actor backend,
                                  std::string backend_name, std::chrono::milliseconds timeout,
                                  AuthBudgetSettings budget = {});

}  // namespace mailactor::auth
