// The registry's private side: lookup by name for the server. The public side (the backend
// interface, options, register_backend) is include/mailactor/auth.hpp.
#pragma once

#include <mailactor/auth.hpp>

#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace mailactor::auth {

using actors::auth_front_actor;
using actors::get_stats_atom;
using actors::retire_atom;
using actors::swap_atom;

std::vector<std::string> backend_names();
// Builds the backend; throws AuthConfigError (bad options) or std::runtime_error (unusable).
auth_actor make_backend(const std::string& name, BackendContext& ctx, BackendOptions& options);

// The built-in backends, under names not registered yet (a backend registered before under a
// built-in name keeps its own factory).
void register_builtin_backends();
// Registers under `name` unless a backend has that name already.
void register_builtin_backend(const std::string& name, BackendFactory factory);

}  // namespace mailactor::auth
