// `mailactor passwd`, `mailactor tls ...` and `mailactor dkim keygen`: hashes, certificates and
// signing keys for the config to point at.
#include <iostream>
#include <memory>

#include "actors/outbound/dkim_signer.hpp"
#include "actors/tls/selfsigned.hpp"
#include "app/cli/commands.hpp"
#include "app/passwd.hpp"

namespace mailactor::app::cli {
namespace {

struct TlsOptions {
  std::string out = "conf/tls";
  std::string hostname = "localhost";
  std::string node_out = "conf/node-tls";
  std::vector<std::string> node_names;
};

int selfsigned(const TlsOptions& o) {
  try {
    tls::write_self_signed(o.out, o.hostname);
    std::cout << o.out << "/cert.pem\n" << o.out << "/key.pem\n";
    return 0;
  } catch (const std::exception& e) {
    return fail("tls selfsigned", e, 1);
  }
}

int node_certs(const TlsOptions& o) {
  try {
    tls::write_node_certs(o.node_out, o.node_names);
    std::cout << o.node_out << "/ca.pem\n";
    for (const auto& n : o.node_names)
      std::cout << o.node_out << "/" << n << ".pem\n" << o.node_out << "/" << n << ".key\n";
    return 0;
  } catch (const std::exception& e) {
    return fail("tls node-certs", e, 1);
  }
}

struct DkimOptions {
  std::string dir = "conf/dkim";
  std::string domain;
  std::string selector = "mail";
};

int keygen(const DkimOptions& o) {
  try {
    std::cout << actors::outbound::generate_dkim_key(o.dir, o.domain, o.selector) << "\n";
    return 0;
  } catch (const std::exception& e) {
    return fail("dkim keygen", e, 1);
  }
}

}  // namespace

Command add_passwd(CLI::App& app) {
  auto scheme = std::make_shared<std::string>("yescrypt");
  auto* cmd = app.add_subcommand(
      "passwd",
      "Print a password hash for a passwd-file line (password from the terminal or stdin)");
  cmd->add_option("--scheme", *scheme, "yescrypt, sha512-crypt or bcrypt")->capture_default_str();
  return {cmd, [scheme] { return print_password_hash(*scheme); }};
}

Command add_tls(CLI::App& app) {
  auto o = std::make_shared<TlsOptions>();
  auto* cmd = app.add_subcommand("tls", "TLS helpers");
  cmd->require_subcommand(1);
  auto* self = cmd->add_subcommand("selfsigned",
                                   "Write a self-signed cert.pem and key.pem for local testing");
  self->add_option("--out", o->out, "Directory for cert.pem and key.pem")->capture_default_str();
  self->add_option("--hostname", o->hostname, "Name in the certificate")->capture_default_str();
  auto* nodes = cmd->add_subcommand(
      "node-certs",
      "Write a private CA (ca.pem, ca.key; reused when present) and a certificate pair\n"
      "NAME.pem/NAME.key per node, for the mutual TLS between edges and spool nodes");
  nodes->add_option("--out", o->node_out, "Directory")->capture_default_str();
  nodes->add_option("NAME", o->node_names, "Node names, e.g. spool1 edge1")->required();
  return {cmd, [o, self] { return *self ? selfsigned(*o) : node_certs(*o); }};
}

Command add_dkim(CLI::App& app) {
  auto o = std::make_shared<DkimOptions>();
  auto* cmd = app.add_subcommand("dkim", "DKIM signing keys");
  cmd->require_subcommand(1);
  auto* gen = cmd->add_subcommand(
      "keygen",
      "Write a 2048-bit RSA key DIR/DOMAIN.SELECTOR.key (mode 0600) for [dkim] key_dir and\n"
      "print the DNS TXT record to publish");
  gen->add_option("--domain", o->domain, "Sender domain the key signs for")->required();
  gen->add_option("--selector", o->selector, "Selector (the s= tag)")->capture_default_str();
  gen->add_option("--dir", o->dir, "Key directory ([dkim] key_dir)")->capture_default_str();
  return {cmd, [o] { return keygen(*o); }};
}

}  // namespace mailactor::app::cli
