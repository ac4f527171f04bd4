// The router the config describes, and `mailactor route`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "routing/router.hpp"

namespace mailactor::app {

// Reads the aliases file and the passwd-file's user names and builds the router; refuses a
// config in which postmaster@ does not resolve at some local domain (RFC 5321 §4.5.1). Throws
// ConfigError naming the file and line, or the domain.
std::shared_ptr<const routing::Router> make_router(const Config& c);

// `mailactor route ADDRESS...`: how each address resolves with the config. Exit code: 0 when
// every address is accepted, 1 when one is refused, 2 on a config error.
int print_routes(const std::string& config, const std::vector<std::string>& addresses);

}  // namespace mailactor::app
