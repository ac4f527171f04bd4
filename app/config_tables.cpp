#include "app/config_tables.hpp"

#include <ostream>

#include "app/web/access.hpp"

namespace mailactor::app {
namespace {

using namespace keys;

// A list of networks ("10.0.0.0/8", "2001:db8::/32"); null when absent or empty.
std::shared_ptr<const routing::Networks> read_networks(TableReader& r, const std::string& key) {
  std::vector<std::string> entries;
  r.strings(key, entries);
  if (entries.empty()) return nullptr;
  std::string error;
  auto networks = routing::Networks::parse(entries, &error);
  if (!networks) r.fail(key, error);
  return std::make_shared<const routing::Networks>(std::move(*networks));
}

// Networks have no fixed default but "none".
std::string no_networks(const std::shared_ptr<const routing::Networks>& n) {
  return n ? std::string() : "[]";
}

// A secret is the first line of a file, so the config itself holds none.
std::string read_secret(TableReader& r, const std::string& key) {
  std::string file;
  r.string(key, file);
  if (file.empty()) return {};
  try {
    return web::read_secret_file(file);
  } catch (const std::exception& e) {
    r.fail(key, e.what());
  }
}

}  // namespace

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string toml_strings(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const auto& s : v)
    out += (out.size() > 1 ? ", " : "") + toml_string(s);
  return out + "]";
}

const Keys<Config>& server_keys() {
  using S = Config;
  static const Keys<S> k = {
      custom<S>(
          "hostname", [](TableReader& r, S& c) { r.string("hostname", c.hostname); },
          // No fixed default: shown only when it is not the machine's own name.
          [](const S& c) {
            return c.hostname == Config::defaults().hostname ? std::string()
                                                             : toml_string(c.hostname);
          },
          "the name in the greeting, EHLO and Received: (default: the machine's host name)"),
      list<S>("local_domains", &S::local_domains, "domains mail is accepted for on mx listeners"),
      integer<S>("threads", &S::threads, 0, 256, "scheduler threads; 0: one per core but one"),
      integer<S>("io_threads", &S::io_threads, 0, 64,
                 "socket I/O threads; 0: a quarter of the cores, 1 to 4"),
      choice<S>("worker_wait", &S::worker_wait,
                {{"block", WorkerWait::block}, {"poll", WorkerWait::poll}},
                "how idle scheduler threads wait for work"),
      choice<S>("log_level", &S::log_level,
                {{"trace", "trace"},
                 {"debug", "debug"},
                 {"info", "info"},
                 {"warn", "warn"},
                 {"error", "error"}},
                "the least severe log line written"),
      text<S>("log_file", &S::log_file, "the log file; empty: standard error"),
      text<S>("user", &S::user, "run as this user once ports and files are open"),
      text<S>("group", &S::group, "run as this group; empty: the user's primary group"),
  };
  return k;
}

const Keys<Limits>& limits_keys() {
  using S = Limits;
  static const Keys<S> k = {
      integer<S>("max_message_size", &S::max_message_size, 1024, int64_t{1} << 40,
                 "octets of content; more: 552 5.3.4"),
      integer<S>("max_recipients", &S::max_recipients, 1, 100000,
                 "RCPTs per transaction; more: 452 4.5.3"),
      integer<S>("max_sessions", &S::max_sessions, 0, 1000000,
                 "concurrent connections (per listener: 0, only the server-wide cap)"),
      integer<S>("max_sessions_per_ip", &S::max_sessions_per_ip, 1, 1000000,
                 "concurrent connections from one address; more: 421 4.7.0"),
      integer<S>("max_connection_rate_per_ip", &S::max_connection_rate_per_ip, 0, 100000000,
                 "connections a minute from one address; 0: no limit"),
      integer<S>("max_message_rate_per_ip", &S::max_message_rate_per_ip, 0, 100000000,
                 "messages a minute from one address; 0: no limit"),
      integer<S>("max_messages_per_session", &S::max_messages_per_session, 0, 100000000,
                 "messages in one session; 0: no limit"),
      integer<S>("max_errors", &S::max_errors, 0, 100000,
                 "error replies per session before 421 4.7.0; 0: no limit"),
      seconds<S>("command_timeout", &S::command_timeout, 1, 86400, "seconds to wait for a command"),
      seconds<S>("data_timeout", &S::data_timeout, 1, 86400, "seconds to wait for message content"),
      millis<S>("greeting_delay_ms", &S::greeting_delay, 0, 60000,
                "wait before the greeting; early talkers get 554 5.5.0"),
      seconds<S>("stress_idle_timeout", &S::stress_idle_timeout, 1, 86400,
                 "under stress: seconds a session without MAIL waits for a command"),
      integer<S>("stress_max_errors", &S::stress_max_errors, 0, 100000,
                 "under stress: error replies before a session without MAIL ends"),
      choice<S>("bare_newline", &S::bare_newline,
                {{"normalize", protocol::BareNewline::normalize},
                 {"reject", protocol::BareNewline::reject}},
                "a bare CR or LF in content: normalize it, or reject with 550 5.6.0"),
      choice<S>("nul_bytes", &S::nul_bytes,
                {{"reject", protocol::NulBytes::reject}, {"strip", protocol::NulBytes::strip}},
                "NUL octets in content: reject with 550 5.6.0, or strip them"),
      integer<S>("max_hops", &S::max_hops, 0, 1000,
                 "Received:/Delivered-To: fields at which mail is looping (554 5.4.6)"),
  };
  return k;
}

const Keys<Config>& server_limits_keys() {
  using S = Config;
  static const Keys<S> k = {
      seconds<S>("shutdown_grace", &S::shutdown_grace, 0, 3600,
                 "on SIGTERM: seconds sessions may take to finish"),
      integer<S>("stress_percent", &S::stress_percent, 0, 100,
                 "stress from this share of max_sessions in use; 0: never"),
  };
  return k;
}

const Keys<ListenerConfig>& listener_keys() {
  using S = ListenerConfig;
  static const Keys<S> k = {
      text<S>("name", &S::name, "the listener's name, in logs, metrics and the queue"),
      text<S>("listen", &S::listen, "HOST:PORT or [IPv6]:PORT"),
      choice<S>(
          "mode", &S::mode,
          {{"mx", actors::ListenerMode::mx}, {"submission", actors::ListenerMode::submission}},
          "mx: mail for the local domains; submission: AUTH first, then anywhere"),
      flag<S>("allow_plaintext_auth", &S::allow_plaintext_auth, "offer AUTH without TLS"),
      flag<S>("sender_login_match", &S::sender_login_match,
              "MAIL FROM must be the authenticated user's address"),
      choice<S>("tls", &S::tls,
                {{"none", actors::TlsMode::none},
                 {"starttls", actors::TlsMode::starttls},
                 {"implicit", actors::TlsMode::implicit}},
                "none, starttls (RFC 3207) or implicit (RFC 8314)"),
      text<S>("tls_cert", &S::tls_cert, "PEM certificate chain, leaf first"),
      text<S>("tls_key", &S::tls_key, "PEM private key"),
      choice<S>("tls_min_version", &S::tls_min_version,
                {{"TLSv1.2", "TLSv1.2"}, {"TLSv1.3", "TLSv1.3"}},
                "the oldest TLS version accepted"),
      flag<S>("require_tls", &S::require_tls, "MAIL before STARTTLS gets 530 5.7.0"),
      flag<S>(
          "proxy_protocol", [](S& l) -> bool& { return l.proxy.enabled; },
          "every connection starts with a PROXY header (v1 or v2)"),
      custom<S>(
          "proxy_trusted_networks",
          [](TableReader& r, S& l) {
            l.proxy.trusted = read_networks(r, "proxy_trusted_networks");
          },
          [](const S& l) { return no_networks(l.proxy.trusted); },
          "the load balancers allowed to send a PROXY header"),
      seconds<S>(
          "proxy_header_timeout",
          [](S& l) -> std::chrono::seconds& { return l.proxy.header_timeout; }, 1, 60,
          "seconds to wait for the PROXY header"),
  };
  return k;
}

const Keys<AuthConfig>& auth_keys() {
  using S = AuthConfig;
  static const Keys<S> k = {
      text<S>("backend", &S::backend,
              "who checks AUTH: none, passwd-file, dovecot, http, allow-all, or a plug-in"),
      seconds<S>("timeout", &S::timeout, 1, 300, "seconds to wait for the backend (then 454)"),
      integer<S>("max_failures", &S::max_failures, 1, 1000,
                 "failed AUTHs per session before 421 4.7.0"),
      millis<S>("tarpit_ms", &S::tarpit, 0, 60000, "each failure waits this long times the count"),
      integer<S>(
          "address_failures", [](S& a) -> size_t& { return a.budget.per_address; }, 0, 100000,
          "failures from one address in failure_window that lock it out; 0: off"),
      integer<S>(
          "network_failures", [](S& a) -> size_t& { return a.budget.per_network; }, 0, 1000000,
          "failures from one /24 or /64 that lock it out; 0: off"),
      seconds<S>(
          "failure_window", [](S& a) -> std::chrono::seconds& { return a.budget.window; }, 1, 86400,
          "seconds over which failures are counted"),
      seconds<S>(
          "lockout", [](S& a) -> std::chrono::seconds& { return a.budget.lockout; }, 1, 86400,
          "seconds a locked-out address or network waits"),
  };
  return k;
}

const Keys<Config>& spool_keys() {
  using S = Config;
  static const Keys<S> k = {
      text<S>("directory", &S::spool_dir, "holds the queue files"),
      choice<S>("durability", &S::durability,
                {{"fsync", storage::Durability::fsync}, {"none", storage::Durability::none}},
                "fsync: on disk before the 250; none: no sync at all"),
      integer<S>("queue_files", &S::queue_files, 0, 64,
                 "queue files, a writer and a deliverer each; 0: a quarter of the cores, 1 to 4"),
      millis<S>("slow_latency_ms", &S::slow_latency, 1, 600000,
                "commit latency past which reads are paced"),
      millis<S>("shed_latency_ms", &S::shed_latency, 1, 600000,
                "... past which new transactions get 451 4.3.2"),
      millis<S>("refuse_latency_ms", &S::refuse_latency, 1, 600000,
                "... past which new connections get 421 4.3.2"),
      integer<S>("max_pending", &S::max_pending, 1, 10000000,
                 "requests waiting at a writer past which new transactions are shed"),
      integer<S>("max_batch", &S::max_batch, 1, 100000, "commits per group commit at most"),
      millis<S>("slow_commit_ms", &S::slow_commit, 0, 60000,
                "testing: every group commit waits this long"),
      seconds<S>("abandon_after", &S::abandon_after, 1, 7 * 24 * 3600,
                 "content without a commit this long is dropped"),
      list<S>("remote", &S::spool_remote, "edge role: the spool nodes (HOST:PORT) to stream to"),
      millis<S>("remote_timeout_ms", &S::remote_timeout, 100, 600000,
                "each request to a spool node gets this long"),
  };
  return k;
}

const Keys<Config>& node_keys() {
  using S = Config;
  static const Keys<S> k = {
      text<S>("listen", &S::node_listen, "spoold: publish the spooler here (HOST:PORT)"),
      custom<S>(
          "id",
          [](TableReader& r, S& c) {
            int64_t id = c.node_id;
            r.integer("id", id, 1, 65535);
            c.node_id = static_cast<uint32_t>(id);
          },
          [](const S& c) { return c.node_id ? std::to_string(c.node_id) : std::string(); },
          "spoold: unique among spool nodes, in every queue id (default: from the process id)"),
      text<S>("ca", &S::node_ca, "PEM: the CA that signed every node's certificate"),
      text<S>("cert", &S::node_cert, "PEM: this node's certificate"),
      text<S>("key", &S::node_key, "PEM: its private key"),
  };
  return k;
}

const Keys<Config>& metrics_keys() {
  using S = Config;
  static const Keys<S> k = {
      text<S>("listen", &S::metrics_listen,
              "HOST:PORT for /metrics, the live page and /stats.json; empty: off"),
      custom<S>(
          "token_file",
          [](TableReader& r, S& c) { c.metrics_access.token = read_secret(r, "token_file"); },
          [](const S&) { return std::string("\"\""); }, "a bearer token's file"),
      custom<S>(
          "password_file",
          [](TableReader& r, S& c) { c.metrics_access.password = read_secret(r, "password_file"); },
          [](const S&) { return std::string("\"\""); }, "an HTTP basic password's file"),
      flag<S>(
          "protect_metrics", [](S& c) -> bool& { return c.metrics_access.protect_metrics; },
          "the secret is needed for /metrics too"),
      list<S>(
          "host_names", [](S & c) -> auto& { return c.metrics_access.host_names; },
          "Host header names answered besides IP literals, localhost and hostname"),
      integer<S>("trace_messages", &S::trace_messages, 0, 1000000,
                 "recent messages whose path is kept in memory; 0: off"),
  };
  return k;
}

const Keys<RoutingConfig>& routing_keys() {
  using S = RoutingConfig;
  static const Keys<S> k = {
      choice<S>(
          "local", &S::local,
          {{"ingest", routing::LocalMode::ingest}, {"mailboxes", routing::LocalMode::mailboxes}},
          "ingest: every local part to one Maildir; mailboxes: known users only"),
      text<S>("mailbox_root", &S::mailbox_root, "users' Maildirs: ROOT/DOMAIN/LOCAL/Maildir"),
      text<S>("aliases", &S::aliases, "the aliases file; empty: none"),
      text<S>("detail_separator", &S::detail_separator, "subaddress separator; empty: none"),
      list<S>("users", &S::users, "a static user source"),
      text<S>("passwd_file", &S::passwd_file, "every user of this passwd-file is a mailbox"),
      text<S>("dovecot_userdb", &S::dovecot_userdb, "Dovecot's auth-userdb socket, asked per RCPT"),
      millis<S>("lookup_timeout_ms", &S::lookup_timeout, 100, 60000,
                "a user lookup gets this long, then 451 4.3.0"),
      list<S>("sources", &S::sources, "plug-in user sources, options in [routing.<name>]"),
      choice<S>("mailbox", &S::mailbox,
                {{"maildir", routing::Route::maildir()}, {"lmtp", routing::Route::lmtp()}},
                "users' mail: their own Maildirs, or an LMTP server"),
      text<S>("lmtp", &S::lmtp, "the LMTP server: unix:/path or HOST:PORT"),
  };
  return k;
}

const Keys<DestinationKeys>& destination_keys() {
  using S = DestinationKeys;
  static const Keys<S> k = {
      text<S>("smarthost", &S::smarthost, "[host]:port or host:port; empty: the MX hosts"),
      choice<S>("smarthost_tls", &S::smarthost_tls,
                {{"starttls", "starttls"}, {"implicit", "implicit"}, {"may", "may"}},
                "starttls, implicit, or may (plaintext allowed, never AUTH)"),
      text<S>("smarthost_auth_file", &S::smarthost_auth_file,
              "one line user:password for the smarthost (mode 600)"),
      choice<S>("tls", &S::tls,
                {{"may", routing::TlsPolicy::may},
                 {"encrypt", routing::TlsPolicy::encrypt},
                 {"verify", routing::TlsPolicy::verify}},
                "TLS toward MX hosts: may, encrypt or verify"),
  };
  return k;
}

const Keys<RelayConfig>& relay_keys() {
  using S = RelayConfig;
  static const Keys<S> k = {
      flag<S>(
          "enabled", [](S& r) -> bool& { return r.policy.enabled; },
          "relay mail for other domains (authenticated or trusted clients only)"),
      custom<S>(
          "trusted_networks",
          [](TableReader& r, S& rc) { rc.trusted_networks = read_networks(r, "trusted_networks"); },
          [](const S& rc) { return no_networks(rc.trusted_networks); },
          "clients that may relay without AUTH"),
      text<S>("tls_ca_file", &S::tls_ca_file, "CAs for tls = verify; empty: the system's"),
      text<S>("dns_server", &S::dns_server, "IP or IP@PORT; empty: /etc/resolv.conf"),
      integer<S>(
          "mx_port", [](S& r) -> uint16_t& { return r.policy.mx_port; }, 1, 65535,
          "the port MX hosts are reached on"),
      integer<S>(
          "max_mx_hosts", [](S& r) -> size_t& { return r.policy.max_hosts; }, 1, 20,
          "MX hosts tried per attempt"),
      integer<S>("connections", &S::connections, 1, 1000, "outbound connections in all"),
      integer<S>("connections_per_destination", &S::connections_per_destination, 1, 1000,
                 "outbound connections to one destination"),
      seconds<S>(
          "retry_first", [](S& r) -> std::chrono::seconds& { return r.retry.first; }, 1, 24 * 3600,
          "the shortest wait before another attempt"),
      seconds<S>(
          "retry_max", [](S& r) -> std::chrono::seconds& { return r.retry.max; }, 1, 7 * 24 * 3600,
          "the longest wait before another attempt"),
      seconds<S>(
          "queue_lifetime", [](S& r) -> std::chrono::seconds& { return r.retry.lifetime; }, 1,
          60 * 24 * 3600, "seconds after arrival a recipient expires and bounces"),
      millis<S>("connect_timeout_ms", &S::connect_timeout, 100, 600000,
                "a connection attempt gets this long"),
      millis<S>("timeout_ms", &S::timeout, 100, 3600000, "each reply gets this long"),
      seconds<S>("connection_idle", &S::connection_idle, 1, 3600,
                 "an idle outbound connection is closed after this many seconds"),
  };
  return k;
}

const Keys<RelayConfig>& dkim_keys() {
  using S = RelayConfig;
  static const Keys<S> k = {
      text<S>("key_dir", &S::dkim_key_dir, "<domain>.<selector>.key files; empty: no signing"),
      list<S>("headers", &S::dkim_headers, "the header fields signed (from is required)"),
  };
  return k;
}

const Keys<Config>& delivery_keys() {
  using S = Config;
  static const Keys<S> k = {
      flag<S>("enabled", &S::delivery, "deliver queued messages (false: keep them queued)"),
      text<S>("maildir", &S::maildir, "the ingest Maildir"),
      flag<S>("keep_content", &S::keep_content, "keep content in the queue after delivery"),
      custom<S>(
          "cpu_percent",
          [](TableReader& r, S& c) {
            int64_t percent = static_cast<int64_t>(c.delivery_cpu_share * 100 + 0.5);
            r.integer("cpu_percent", percent, 1, 100);
            c.delivery_cpu_share = static_cast<double>(percent) / 100.0;
          },
          [](const S& c) {
            return std::to_string(static_cast<int64_t>(c.delivery_cpu_share * 100 + 0.5));
          },
          "percent of the time a deliverer may be busy"),
      integer<S>("workers", &S::delivery_workers, 1, 64,
                 "Maildir or LMTP delivery targets working at once"),
      seconds<S>(
          "retry_first", [](S& c) -> std::chrono::seconds& { return c.retry.first; }, 1, 24 * 3600,
          "the first wait before another attempt (then doubling)"),
      seconds<S>(
          "retry_max", [](S& c) -> std::chrono::seconds& { return c.retry.max; }, 1, 7 * 24 * 3600,
          "the longest wait before another attempt"),
      seconds<S>(
          "queue_lifetime", [](S& c) -> std::chrono::seconds& { return c.retry.lifetime; }, 1,
          60 * 24 * 3600, "seconds after arrival a recipient expires and bounces"),
  };
  return k;
}

namespace {

template <class S>
void visit_table(const std::string& section, const Keys<S>& keys, const S& defaults,
                 const std::function<void(const KeyInfo&)>& visit) {
  for (const auto& k : keys)
    visit({section, k.name, k.show(defaults), k.doc});
}

}  // namespace

void for_each_key(const std::function<void(const KeyInfo&)>& visit) {
  for_each_key(Config::defaults(), visit);
}

void for_each_listener_key(const ListenerConfig& l,
                           const std::function<void(const KeyInfo&)>& visit) {
  visit_table("listener." + l.name, listener_keys(), l, visit);
  visit_table("listener." + l.name + ".limits", limits_keys(), l.limits, visit);
}

void for_each_key(const Config& c, const std::function<void(const KeyInfo&)>& visit) {
  visit_table("server", server_keys(), c, visit);
  visit_table("listener", listener_keys(), c.listeners.front(), visit);
  visit_table("listener.limits", limits_keys(), c.listeners.front().limits, visit);
  visit_table("auth", auth_keys(), c.auth, visit);
  visit_table("limits", limits_keys(), c.limits, visit);
  visit_table("limits", server_limits_keys(), c, visit);
  visit_table("spool", spool_keys(), c, visit);
  visit_table("node", node_keys(), c, visit);
  visit_table("metrics", metrics_keys(), c, visit);
  visit_table("routing", routing_keys(), c.routing, visit);
  visit_table("delivery", delivery_keys(), c, visit);
  visit_table("relay", relay_keys(), c.relay, visit);
  visit_table("relay", destination_keys(), DestinationKeys{}, visit);
  visit_table("relay.domain", destination_keys(), DestinationKeys{}, visit);
  visit_table("dkim", dkim_keys(), c.relay, visit);
}

void print_defaults(std::ostream& out) {
  for_each_key([&](const KeyInfo& k) {
    if (k.value.empty())
      out << "# " << k.section << "." << k.name << ": " << k.doc << "\n";
    else
      out << k.section << "." << k.name << " = " << k.value << "  # " << k.doc << "\n";
  });
}

}  // namespace mailactor::app
