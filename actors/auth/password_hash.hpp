// The password helpers' private side; verify_password and hash_password are public
// (include/mailactor/password.hpp).
#pragma once

#include <mailactor/password.hpp>

#include <string_view>

namespace mailactor::auth {

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mailactor::auth
