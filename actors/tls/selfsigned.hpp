// Certificates for testing and for the node link: `mailactor tls selfsigned --out DIR` (an SMTP
// listener's pair) and `mailactor tls node-certs --out DIR NAME...` (a private CA and one pair
// per edge or spool node, for [node] ca/cert/key).
#pragma once

#include <string>
#include <vector>

namespace mailactor::tls {

// Writes <dir>/cert.pem and <dir>/key.pem (EC P-256, SHA-256, valid `days` days, CN and DNS
// subjectAltName = hostname). Throws std::runtime_error.
void write_self_signed(const std::string& dir, const std::string& hostname, int days = 365);

// Writes <dir>/<name>.pem and <dir>/<name>.key for every name, signed by <dir>/ca.pem, which is
// created (with ca.key) if missing and reused otherwise, so nodes can be added later. Keys are
// mode 0600. Throws std::runtime_error.
void write_node_certs(const std::string& dir, const std::vector<std::string>& names,
                      int days = 825);

}  // namespace mailactor::tls
