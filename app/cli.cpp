// mailactor's command line: serve, check-config, send, queue, ... (mailactor::main, public in
// include/mailactor/main.hpp, so that a main of your own can register backends first).
#include <CLI/CLI.hpp>
#include <caf/config.hpp>
#include <mailactor/main.hpp>

#include <iostream>

#include "actors/auth/backend_registry.hpp"

#include "actors/outbound/dkim_signer.hpp"
#include "actors/tls/selfsigned.hpp"
#include "app/config.hpp"
#include "app/http_get.hpp"
#include "app/passwd.hpp"
#include "app/queue_cli.hpp"
#include "app/routing_setup.hpp"
#include "app/send.hpp"
#include "app/serve.hpp"
#include "app/spool_stack.hpp"
#include "app/spoold.hpp"
#include "app/stats_cli.hpp"
#include "app/trace_cli.hpp"
#include "storage/queue_files.hpp"

namespace {

constexpr const char* kDefaultConfig = "conf/mailactor.toml";

// The spool directory for the queue commands: --spool, else the config's.
std::string spool_of(const std::string& spool, const std::string& config) {
  if (!spool.empty()) return spool;
  return mailactor::app::load_config(config).spool_dir;
}

}  // namespace

int mailactor::main(int argc, char** argv) {
  using namespace mailactor::app;
  mailactor::auth::register_builtin_backends();
  CLI::App app{
      "mailactor: an SMTP server on the C++ Actor Framework. It accepts mail over SMTP, commits\n"
      "every accepted message durably to its queue before answering 250, then delivers it: to\n"
      "Maildirs, over LMTP (Dovecot), or onward over SMTP (smarthost or MX). Run\n"
      "`mailactor COMMAND --help` for the options of each command.",
      "mailactor"};  // not argv[0]: the usage lines read the same wherever it is installed
  app.set_version_flag("--version", std::string("mailactor " MAILACTOR_VERSION " (API ") +
                                        std::to_string(MAILACTOR_API_VERSION) + ", CAF " +
                                        std::to_string(CAF_MAJOR_VERSION) + "." +
                                        std::to_string(CAF_MINOR_VERSION) + "." +
                                        std::to_string(CAF_PATCH_VERSION) + ")");
  app.require_subcommand(1);

  ServeOptions serve_opts;
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "Run the server until SIGTERM/SIGINT (graceful: open transactions may finish).\n"
      "SIGHUP re-reads the auth backend, TLS certificates and routing (aliases, users).");
  serve_cmd->add_option("--config,-c", serve_opts.config, "Configuration file")
      ->capture_default_str();
  serve_cmd->add_option("--listen", serve_opts.listen,
                        "Listen on HOST:PORT instead of the configured listeners");
  serve_cmd->add_option("--spool", serve_opts.spool,
                        "Spool directory (holds the queue files, queue.db first)");
  serve_cmd->add_option("--maildir", serve_opts.maildir, "Maildir to deliver to");

  std::string spoold_config = kDefaultConfig;
  auto* spoold_cmd = app.add_subcommand(
      "spoold",
      "Run a spool node: the queue and delivery of the config, with the spooler published at\n"
      "[node] listen over mutual TLS for edges (`serve` with [spool] remote) to spool to.");
  spoold_cmd->add_option("--config,-c", spoold_config, "Configuration file")->capture_default_str();

  std::string check_config = kDefaultConfig;
  auto* check_cmd = app.add_subcommand(
      "check-config", "Parse the configuration strictly and print what it means; exit 1 on error.");
  check_cmd->add_option("--config,-c", check_config, "Configuration file")->capture_default_str();
  bool check_keys = false;
  check_cmd->add_flag("--keys", check_keys,
                      "Print every key the loader reads for the file's tables (section.key), set "
                      "or not, one per line");

  std::string route_config = kDefaultConfig;
  std::vector<std::string> route_addresses;
  auto* route_cmd = app.add_subcommand(
      "route",
      "Print how each address resolves with the config ([routing]: aliases, users, +detail,\n"
      "catch-all): accepted with its final recipients and route, or why it is refused.\n"
      "Exit 0 when every address is accepted, 1 when one is refused, 2 on a config error.");
  route_cmd->add_option("--config,-c", route_config, "Configuration file")->capture_default_str();
  route_cmd->add_option("ADDRESS", route_addresses, "Recipient addresses")->required();

  SendOptions send_opts;
  auto* send_cmd = app.add_subcommand(
      "send", "Send one message over SMTP; prints the queue id, exits non-zero on 4xx/5xx.");
  send_cmd->add_option("--server", send_opts.server, "HOST:PORT")->capture_default_str();
  send_cmd->add_option("--from", send_opts.from, "Envelope sender (empty for <>)");
  send_cmd->add_option("--to", send_opts.to, "Envelope recipient (repeatable)")->required();
  send_cmd->add_option("--subject", send_opts.subject,
                       "Add From/To/Subject/Date/Message-ID headers; the input is the body");
  send_cmd->add_option("--file", send_opts.file, "The message (default: standard input)");
  send_cmd->add_option("--helo", send_opts.helo, "Name to send in EHLO")->capture_default_str();
  send_cmd->add_option("--timeout", send_opts.timeout_seconds, "Seconds to wait for each reply")
      ->capture_default_str();

  std::string queue_config = kDefaultConfig;
  std::string queue_spool;
  auto* queue_cmd = app.add_subcommand(
      "queue", "The queue: ls, show ID, export ID, retry/hold/release/bounce ID, purge.");
  queue_cmd->add_option("--config,-c", queue_config, "Configuration file (for the spool)")
      ->capture_default_str();
  queue_cmd->add_option("--spool", queue_spool, "Spool directory (overrides the config)");
  queue_cmd->require_subcommand(1);
  std::string ls_state;
  bool ls_json = false;
  auto* ls_cmd = queue_cmd->add_subcommand(
      "ls", "List messages: id, state, size, time, sender, recipients by state");
  ls_cmd->add_option("--state", ls_state, "Only receiving, queued or delivered");
  ls_cmd->add_flag("--json", ls_json, "One JSON envelope per line");
  std::string show_id;
  auto* show_cmd = queue_cmd->add_subcommand(
      "show",
      "Print a message's envelope as JSON and each recipient's route, state, next "
      "attempt and last reply");
  show_cmd->add_option("ID", show_id, "Queue id")->required();
  std::string export_id;
  auto* export_cmd =
      queue_cmd->add_subcommand("export", "Write a message's stored content to standard output");
  export_cmd->add_option("ID", export_id, "Queue id")->required();
  std::string move_id;
  std::vector<std::pair<std::string, CLI::App*>> move_cmds;
  for (const auto& [name, what] : std::vector<std::pair<std::string, std::string>>{
           {"retry", "Deliver the message's pending recipients now, not at their next attempt"},
           {"hold", "Keep the message's pending recipients from delivery until released"},
           {"release", "Deliver held recipients again (now)"},
           {"bounce", "Give the pending or held recipients up now: they fail and bounce"}}) {
    auto* cmd = queue_cmd->add_subcommand(name, what);
    cmd->add_option("ID", move_id, "Queue id")->required();
    move_cmds.emplace_back(name, cmd);
  }
  bool purge_all = false;
  auto* purge_cmd = queue_cmd->add_subcommand(
      "purge", "Delete delivered messages (with --all: also queued, undelivered ones)");
  purge_cmd->add_flag("--all", purge_all, "Also delete queued messages");

  std::string scheme = "yescrypt";
  auto* passwd_cmd = app.add_subcommand(
      "passwd",
      "Print a password hash for a passwd-file line (password from the terminal or stdin)");
  passwd_cmd->add_option("--scheme", scheme, "yescrypt, sha512-crypt or bcrypt")
      ->capture_default_str();

  std::string tls_out = "conf/tls";
  std::string tls_host = "localhost";
  auto* tls_cmd = app.add_subcommand("tls", "TLS helpers");
  tls_cmd->require_subcommand(1);
  auto* selfsigned_cmd = tls_cmd->add_subcommand(
      "selfsigned", "Write a self-signed cert.pem and key.pem for local testing");
  selfsigned_cmd->add_option("--out", tls_out, "Directory for cert.pem and key.pem")
      ->capture_default_str();
  selfsigned_cmd->add_option("--hostname", tls_host, "Name in the certificate")
      ->capture_default_str();

  std::string node_out = "conf/node-tls";
  std::vector<std::string> node_names;
  auto* node_certs_cmd = tls_cmd->add_subcommand(
      "node-certs",
      "Write a private CA (ca.pem, ca.key; reused when present) and a certificate pair\n"
      "NAME.pem/NAME.key per node, for the mutual TLS between edges and spool nodes");
  node_certs_cmd->add_option("--out", node_out, "Directory")->capture_default_str();
  node_certs_cmd->add_option("NAME", node_names, "Node names, e.g. spool1 edge1")->required();

  std::string dkim_dir = "conf/dkim", dkim_domain, dkim_selector = "mail";
  auto* dkim_cmd = app.add_subcommand("dkim", "DKIM signing keys");
  dkim_cmd->require_subcommand(1);
  auto* keygen_cmd = dkim_cmd->add_subcommand(
      "keygen",
      "Write a 2048-bit RSA key DIR/DOMAIN.SELECTOR.key (mode 0600) for [dkim] key_dir and\n"
      "print the DNS TXT record to publish");
  keygen_cmd->add_option("--domain", dkim_domain, "Sender domain the key signs for")->required();
  keygen_cmd->add_option("--selector", dkim_selector, "Selector (the s= tag)")
      ->capture_default_str();
  keygen_cmd->add_option("--dir", dkim_dir, "Key directory ([dkim] key_dir)")
      ->capture_default_str();

  std::string stats_config = kDefaultConfig;
  std::string stats_url;
  bool stats_once = false, stats_json = false;
  auto* stats_cmd = app.add_subcommand(
      "stats", "Live view of the actors (mailboxes) and SMTP counters, from the /metrics endpoint");
  stats_cmd->add_option("--config,-c", stats_config, "Configuration file (for [metrics] listen)")
      ->capture_default_str();
  stats_cmd->add_option("--url", stats_url, "http://HOST:PORT/metrics (overrides the config)");
  stats_cmd->add_flag("--once", stats_once, "Print one snapshot and exit");
  stats_cmd->add_flag("--json", stats_json, "With --once: every metric as JSON");

  std::string trace_config = kDefaultConfig;
  TraceQuery trace_query;
  auto* trace_cmd = app.add_subcommand(
      "trace",
      "A message's path through the server: connection, MAIL and RCPT decisions, content, the\n"
      "group commit, every delivery attempt (recent messages from memory, older ones from the\n"
      "queue); with --search, the recent messages from or to an address or client. Read from\n"
      "the [metrics] listener (/trace.json). Exits 1 when the message is not found.");
  trace_cmd->add_option("id", trace_query.id, "Queue id (as in \"250 2.0.0 Ok: queued as ID\")");
  trace_cmd->add_option("--search,-s", trace_query.search,
                        "Recent messages whose sender, recipient, client or id contains this");
  trace_cmd->add_option("--config,-c", trace_config, "Configuration file (for [metrics] listen)")
      ->capture_default_str();
  trace_cmd->add_option("--url", trace_query.base_url, "http://HOST:PORT (overrides the config)");
  trace_cmd->add_flag("--json", trace_query.json, "Print /trace.json's answer");

  CLI11_PARSE(app, argc, argv);

  if (*trace_cmd) {
    if (!trace_query.id.empty() && !trace_query.search.empty()) {
      std::cerr << "mailactor trace: give a queue id or --search, not both\n";
      return 2;
    }
    try {
      Config c = load_config(trace_config);
      trace_query.authorization = authorization_of(c.metrics_access);
      if (trace_query.base_url.empty()) {
        if (c.metrics_listen.empty()) {
          std::cerr << "mailactor trace: [metrics] listen is not set in " << trace_config << "\n";
          return 2;
        }
        trace_query.base_url = "http://" + c.metrics_listen;
      }
    } catch (const std::exception& e) {
      if (trace_query.base_url.empty()) {
        std::cerr << "mailactor: " << e.what() << "\n";
        return 2;
      }
    }
    return show_trace(trace_query);
  }

  if (*stats_cmd) {
    std::string authorization;
    if (stats_url.empty()) {
      try {
        Config c = load_config(stats_config);
        const auto& listen = c.metrics_listen;
        if (listen.empty()) {
          std::cerr << "mailactor stats: [metrics] listen is not set in " << stats_config << "\n";
          return 2;
        }
        stats_url = "http://" + listen + "/metrics";
        if (c.metrics_access.protect_metrics) authorization = authorization_of(c.metrics_access);
      } catch (const std::exception& e) {
        std::cerr << "mailactor: " << e.what() << "\n";
        return 2;
      }
    }
    return show_stats(stats_url, stats_once, stats_json, authorization);
  }

  if (*keygen_cmd) {
    try {
      std::cout << mailactor::actors::outbound::generate_dkim_key(dkim_dir, dkim_domain,
                                                                  dkim_selector)
                << "\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "mailactor dkim keygen: " << e.what() << "\n";
      return 1;
    }
  }

  if (*selfsigned_cmd) {
    try {
      mailactor::tls::write_self_signed(tls_out, tls_host);
      std::cout << tls_out << "/cert.pem\n" << tls_out << "/key.pem\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "mailactor tls selfsigned: " << e.what() << "\n";
      return 1;
    }
  }

  if (*node_certs_cmd) {
    try {
      mailactor::tls::write_node_certs(node_out, node_names);
      std::cout << node_out << "/ca.pem\n";
      for (const auto& n : node_names)
        std::cout << node_out << "/" << n << ".pem\n" << node_out << "/" << n << ".key\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "mailactor tls node-certs: " << e.what() << "\n";
      return 1;
    }
  }

  if (*passwd_cmd) return print_password_hash(scheme);

  if (*serve_cmd) return serve(serve_opts);
  if (*spoold_cmd) return spoold(spoold_config);
  if (*send_cmd) return send_message(send_opts);
  if (*route_cmd) return print_routes(route_config, route_addresses);
  if (*check_cmd) {
    try {
      if (check_keys) {
        for (const auto& key : keys_read(check_config))
          std::cout << key << "\n";
        return 0;
      }
      Config c = load_config(check_config);
      auto router = make_router(c);
      check_startable(c);
      std::cout << c.source << ": ok\n  hostname " << c.hostname << "\n  local domains";
      for (auto& d : c.local_domains)
        std::cout << " " << d;
      std::cout << "\n  routing: "
                << (c.routing.local == mailactor::routing::LocalMode::ingest
                        ? std::string("every local part to the ingest Maildir")
                        : "mailboxes under " + c.routing.mailbox_root + ", " +
                              std::to_string(router->settings().aliases.entries().size()) +
                              " aliases, " + std::to_string(router->settings().users.size()) +
                              " user source(s)")
                << "\n";
      for (auto& l : c.listeners) {
        const char* tls = l.tls == mailactor::actors::TlsMode::none       ? ""
                          : l.tls == mailactor::actors::TlsMode::starttls ? ", STARTTLS"
                                                                          : ", implicit TLS";
        std::cout << "  listener " << l.name << " on " << l.listen << " ("
                  << (l.mode == mailactor::actors::ListenerMode::mx ? "mx" : "submission") << tls
                  << ")\n";
      }
      std::cout << "  auth backend " << c.auth.backend << "\n";
      if (!c.spool_remote.empty()) {
        std::cout << "  spool: remote (edge), round-robin over";
        for (auto& r : c.spool_remote)
          std::cout << " " << r;
        std::cout << "\n";
      } else {
        std::cout << "  spool " << c.spool_dir << " (durability "
                  << (c.durability == mailactor::storage::Durability::fsync ? "fsync" : "none")
                  << ", "
                  << mailactor::storage::queue_file_count(c.spool_dir,
                                                          mailactor::app::wanted_queue_files(c))
                  << " queue file(s))\n  delivery "
                  << (c.delivery ? "to Maildir " + c.maildir : std::string("off")) << "\n";
        if (c.relay.policy.enabled) {
          const auto& sh = c.relay.policy.smarthost;
          std::cout << "  relay to "
                    << (sh ? "smarthost " + sh->host + ":" + std::to_string(sh->port)
                           : std::string("MX hosts"))
                    << " (TLS " << mailactor::routing::to_string(c.relay.policy.tls) << ", DNS "
                    << (c.relay.dns_server.empty() ? "/etc/resolv.conf" : c.relay.dns_server) << ")"
                    << (c.relay.dkim_key_dir.empty() ? ""
                                                     : ", DKIM keys in " + c.relay.dkim_key_dir)
                    << "\n";
        }
      }
      if (c.node_tls())
        std::cout << "  node link: mutual TLS, CA " << c.node_ca << ", cert " << c.node_cert
                  << (c.node_listen.empty() ? "" : ", spoold publishes on " + c.node_listen)
                  << "\n";
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "mailactor: " << e.what() << "\n";
      return 1;
    }
  }
  if (*queue_cmd) {
    std::string spool;
    try {
      spool = spool_of(queue_spool, queue_config);
    } catch (const std::exception& e) {
      std::cerr << "mailactor: " << e.what() << "\n";
      return 2;
    }
    if (*ls_cmd) return queue_ls(spool, ls_state, ls_json);
    if (*show_cmd) return queue_show(spool, show_id);
    if (*export_cmd) return queue_export(spool, export_id);
    if (*purge_cmd) return queue_purge(spool, purge_all);
    for (const auto& [name, cmd] : move_cmds)
      if (*cmd) return queue_move(spool, name, move_id);
  }
  return 2;
}
