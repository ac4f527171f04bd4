// A self-signed certificate for local testing (`mailactor tls selfsigned --out DIR`).
#pragma once

#include <string>

namespace mailactor::tls {

// Writes <dir>/cert.pem and <dir>/key.pem (EC P-256, SHA-256, valid `days` days, CN and DNS
// subjectAltName = hostname). Throws std::runtime_error.
void write_self_signed(const std::string& dir, const std::string& hostname, int days = 365);

}  // namespace mailactor::tls
