// Password hashes through crypt(3) (Debian's libxcrypt): yescrypt ($y$), SHA-512-crypt ($6$),
// SHA-256-crypt ($5$), bcrypt ($2b$) and whatever else libxcrypt knows; `mailactor passwd`
// prints them. Plain C++, no CAF: for backends that keep hashes in their own store.
#pragma once

#include <string>
#include <string_view>

namespace mailactor::auth {

// True when `password` matches `hash`. Compares in constant time; a malformed hash is false.
// Deliberately slow (milliseconds for yescrypt): call it on a detached actor's thread.
bool verify_password(std::string_view password, const std::string& hash);

// A new hash with a random salt, "$y$" (yescrypt) unless `prefix` names another scheme ("$6$",
// "$2b$"); throws std::runtime_error on failure.
std::string hash_password(std::string_view password, const std::string& prefix = "$y$");

}  // namespace mailactor::auth
