// The check both plug points' registrations make (include/mailactor/version.hpp).
#pragma once

#include <string>

namespace mailactor {

// Throws std::runtime_error naming `plugin` and both versions unless `api_version` is ours.
void check_api_version(int api_version, const std::string& plugin);

}  // namespace mailactor
