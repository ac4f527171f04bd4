// `mailactor check-config`: parse the config strictly and say what it means (or print the keys
// the loader knows, with their defaults).
#include <iostream>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/config.hpp"
#include "app/config_tables.hpp"
#include "app/routing_setup.hpp"
#include "app/serve.hpp"
#include "app/spool_stack.hpp"
#include "storage/queue_files.hpp"

namespace mailactor::app::cli {
namespace {

struct CheckOptions {
  std::string config = kDefaultConfig;
  bool keys = false;
  bool defaults = false;
};

void print_routes(const Config& c, std::ostream& out) {
  for (const auto& [where, route] : c.routing.routes)
    out << "  route " << where << " -> " << route.name() << "\n";
}

void print_routing(const Config& c, const routing::Router& router, std::ostream& out) {
  print_routes(c, out);
  out << "  routing: ";
  if (c.routing.local == routing::LocalMode::ingest) {
    out << "every local part to the ingest Maildir\n";
    return;
  }
  out << "mailboxes under " << c.routing.mailbox_root << ", "
      << router.settings().aliases.entries().size() << " aliases, "
      << router.settings().users.size() << " user source(s)\n";
}

void print_listeners(const Config& c, std::ostream& out) {
  for (const auto& l : c.listeners) {
    const char* tls = l.tls == actors::TlsMode::none       ? ""
                      : l.tls == actors::TlsMode::starttls ? ", STARTTLS"
                                                           : ", implicit TLS";
    out << "  listener " << l.name << " on " << l.listen << " ("
        << (l.mode == actors::ListenerMode::mx ? "mx" : "submission") << tls << ")\n";
  }
}

void print_relay(const Config& c, std::ostream& out) {
  const auto& sh = c.relay.policy.smarthost;
  out << "  relay to "
      << (sh ? "smarthost " + sh->host + ":" + std::to_string(sh->port) : std::string("MX hosts"))
      << " (TLS " << routing::to_string(c.relay.policy.tls) << ", DNS "
      << (c.relay.dns_server.empty() ? "/etc/resolv.conf" : c.relay.dns_server) << ")"
      << (c.relay.dkim_key_dir.empty() ? "" : ", DKIM keys in " + c.relay.dkim_key_dir) << "\n";
}

void print_spool(const Config& c, std::ostream& out) {
  if (!c.spool_remote.empty()) {
    out << "  spool: remote (edge), round-robin over";
    for (const auto& r : c.spool_remote)
      out << " " << r;
    out << "\n";
    return;
  }
  out << "  spool " << c.spool_dir << " (durability "
      << (c.durability == storage::Durability::fsync ? "fsync" : "none") << ", "
      << storage::queue_file_count(c.spool_dir, wanted_queue_files(c))
      << " queue file(s))\n  delivery "
      << (c.delivery ? "to Maildir " + c.maildir : std::string("off")) << "\n";
  if (c.relay.policy.enabled) print_relay(c, out);
}

// What the config means, in a few lines.
void print_summary(const Config& c, const routing::Router& router, std::ostream& out) {
  out << c.source << ": ok\n  hostname " << c.hostname << "\n  local domains";
  for (const auto& d : c.local_domains)
    out << " " << d;
  out << "\n";
  print_routing(c, router, out);
  print_listeners(c, out);
  out << "  auth backend " << c.auth.backend << "\n";
  print_spool(c, out);
  if (c.node_tls())
    out << "  node link: mutual TLS, CA " << c.node_ca << ", cert " << c.node_cert
        << (c.node_listen.empty() ? "" : ", spoold publishes on " + c.node_listen) << "\n";
}

int check(const CheckOptions& o) {
  if (o.keys) {
    for (const auto& key : known_keys())
      std::cout << key << "\n";
    return 0;
  }
  if (o.defaults) {
    print_defaults(std::cout);
    return 0;
  }
  try {
    Config c = load_config(o.config);
    auto router = make_router(c);
    check_startable(c);
    print_summary(c, *router, std::cout);
    return 0;
  } catch (const std::exception& e) {
    return fail("", e, 1);
  }
}

}  // namespace

Command add_check_config(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand(
      "check-config", "Parse the configuration strictly and print what it means; exit 1 on error.");
  cmd->add_option("--config,-c", o->config, "Configuration file")->capture_default_str();
  cmd->add_flag("--keys", o->keys, "Print every key the loader knows (section.key), one per line");
  cmd->add_flag("--defaults", o->defaults,
                "Print every key with its default and a line of help (section.key = value  # "
                "help); a key without a fixed default shows none");
  return {cmd, [o] { return check(*o); }};
}

}  // namespace mailactor::app::cli
