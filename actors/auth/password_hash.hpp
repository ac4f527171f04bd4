// Password hashes through crypt(3) (Debian's libxcrypt): yescrypt ($y$), SHA-512-crypt ($6$),
// SHA-256-crypt ($5$), bcrypt ($2b$) and whatever else libxcrypt knows. Plain C++, no CAF.
#pragma once

#include <string>
#include <string_view>

namespace mailactor::auth {

// True when `password` matches `hash`. Compares in constant time; a malformed hash is false.
bool verify_password(std::string_view password, const std::string& hash);

// A new yescrypt hash ("$y$...") with a random salt; throws std::runtime_error on failure.
std::string hash_password(std::string_view password, const std::string& prefix = "$y$");

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mailactor::auth
