// `mailactor passwd`: a crypt(3) hash for a passwd-file line, like `doveadm pw`.
#pragma once

#include <string>

namespace mailactor::app {

// Reads the password from the terminal (twice, without echo) or the first line of standard
// input, prints the hash. `scheme`: yescrypt (default), sha512-crypt or bcrypt.
int print_password_hash(const std::string& scheme);

}  // namespace mailactor::app
