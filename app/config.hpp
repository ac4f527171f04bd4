// mailactor's configuration file (TOML, see conf/mailactor.toml). Parsing is strict: an unknown
// key, a value of the wrong type or out of range is an error naming the file, line and key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/auth/auth_budget.hpp"
#include "actors/auth/backend_registry.hpp"
#include "actors/settings.hpp"
#include "app/web/access.hpp"
#include "protocol/data_decoder.hpp"
#include "routing/relay_policy.hpp"
#include "routing/retry_policy.hpp"
#include "routing/router.hpp"
#include "storage/queue_store.hpp"

namespace mailactor::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// [limits], and the same keys in a listener's own [listener.limits] table, which start from the
// [limits] values (except max_sessions, which per listener is 0: only the server-wide cap).
// Defaults come from the settings the actors and the engine are given (one place for each);
// only what has no such home (max_messages_per_session: the engine's own default is no limit)
// is set here.
struct Limits {
  uint64_t max_message_size = protocol::EngineConfig{}.max_message_size;
  size_t max_recipients = protocol::EngineConfig{}.max_recipients;
  size_t max_sessions = actors::BrokerSettings{}.max_sessions;
  size_t max_sessions_per_ip = actors::ListenerLimits{}.max_sessions_per_ip;
  size_t max_connection_rate_per_ip = actors::ListenerLimits{}.max_connection_rate_per_ip;
  size_t max_message_rate_per_ip = actors::SpoolSettings{}.max_message_rate_per_ip;
  size_t max_messages_per_session = 1000;
  size_t max_errors = protocol::EngineConfig{}.max_errors;
  std::chrono::seconds command_timeout = actors::SessionSettings{}.command_timeout;
  std::chrono::seconds data_timeout = actors::SessionSettings{}.data_timeout;
  protocol::BareNewline bare_newline = protocol::EngineConfig{}.bare_newline;
  protocol::NulBytes nul_bytes = protocol::EngineConfig{}.nul_bytes;
  size_t max_hops = protocol::EngineConfig{}.max_hops;
  std::chrono::milliseconds greeting_delay = actors::SessionSettings{}.greeting_delay;
  // Under stress (see stress_percent): a session without MAIL waits this long for a command and
  // ends after this many error replies.
  std::chrono::seconds stress_idle_timeout = actors::SessionSettings{}.stress_idle_timeout;
  size_t stress_max_errors = actors::SessionSettings{}.stress_max_errors;
};

// A listener starts from [limits], except max_sessions: the server-wide cap stays there.
Limits listener_limits(const Limits& server);

struct ListenerConfig {
  std::string name = "smtp";
  std::string listen = "127.0.0.1:2525";  // HOST:PORT, [IPv6]:PORT
  actors::ListenerMode mode = actors::ListenerMode::mx;
  bool allow_plaintext_auth = false;  // offer AUTH without TLS
  bool sender_login_match = false;
  actors::TlsMode tls = actors::TlsMode::none;
  std::string tls_cert;  // PEM chain
  std::string tls_key;   // PEM
  std::string tls_min_version = "TLSv1.2";
  bool require_tls = false;  // MAIL before STARTTLS: 530 5.7.0
  Limits limits;
  actors::ProxyProtocolSettings proxy;  // proxy_protocol, proxy_trusted_networks, ...
};

// The `[<section>.<name>]` tables of a plug-in section ([auth], [routing]): each plug-in's own
// options, checked by its factory.
struct PluginTables {
  std::string file;     // the config file, for errors
  std::string section;  // "auth", "routing"
  std::map<std::string, Options> tables;

  // The named table; an empty one (errors still name file and section) when there is none.
  Options for_name(const std::string& name) const {
    auto it = tables.find(name);
    return it == tables.end() ? Options(file, section + "." + name, {}) : it->second;
  }
};

struct AuthConfig {
  std::string backend = "none";  // none, passwd-file, dovecot, allow-all, static-map, ...
  std::chrono::milliseconds timeout = actors::SessionSettings{}.auth_timeout;
  size_t max_failures = actors::SessionSettings{}.max_auth_failures;
  std::chrono::milliseconds tarpit = actors::SessionSettings{}.auth_tarpit;
  auth::AuthBudgetSettings budget;  // failures across sessions (exempt: [relay] trusted_networks)
  PluginTables options;             // [auth.<backend>]
};

// [routing]: what becomes of each recipient at a local domain (see conf/mailactor.toml).
struct RoutingConfig {
  routing::LocalMode local = routing::RouterSettings{}.mode;
  std::string mailbox_root = "./var/mailboxes";  // ROOT/DOMAIN/LOCAL/Maildir per user
  std::string aliases;                           // aliases file; empty: none
  std::string detail_separator = routing::RouterSettings{}.detail_separator;
  std::vector<std::string> users;  // the static user source
  std::string passwd_file;         // every user of this passwd-file is a mailbox
  routing::Route mailbox = routing::Route::maildir();  // users' mail: own Maildirs or LMTP
  std::string lmtp;            // the LMTP server: "unix:/path" or "HOST:PORT"
  std::string dovecot_userdb;  // Dovecot's auth-userdb socket: a user source asked per RCPT
  std::chrono::milliseconds lookup_timeout = actors::SessionSettings{}.lookup_timeout;
  std::vector<std::string> sources;  // plug-in user sources (register_user_source)
  PluginTables source_options;       // their [routing.<name>]
  // [routing.routes]: address or domain (lower case) -> route (a built-in one or a delivery
  // target of [delivery.<name>]).
  std::map<std::string, routing::Route> routes;
};

// [relay]: mail for other domains (see conf/mailactor.toml); the policy itself is plain C++.
struct RelayConfig {
  routing::RelaySettings policy;
  // Clients that may relay without AUTH ("10.0.0.0/8", "2001:db8::/32"); null: none.
  std::shared_ptr<const routing::Networks> trusted_networks;
  std::string tls_ca_file;  // trusted CAs for the "verify" policy; empty: the system's
  std::string dns_server;   // "IP" or "IP@PORT"; empty: /etc/resolv.conf
  size_t connections = 50;  // outbound connections in all
  size_t connections_per_destination = 20;
  routing::RetrySchedule retry = routing::remote_retry_schedule();
  std::chrono::milliseconds connect_timeout{30000};
  std::chrono::milliseconds timeout{300000};
  std::chrono::seconds connection_idle{10};  // an outbound connection without a job is closed
  // [dkim]
  std::string dkim_key_dir;  // "<domain>.<selector>.key" files; empty: no signing
  std::vector<std::string> dkim_headers;
};

// How idle scheduler threads wait for work.
enum class WorkerWait {
  block,  // on a condition variable, woken per job: lowest latency, no idle polling
  poll,   // CAF's default: 25 ms of 50 us sleeps first
};

struct Config {
  // What a file without keys means: the members' defaults, plus those that need a computation
  // (the host name, the DKIM header list, each listener's limits from [limits]).
  static Config defaults();

  std::string source = "(defaults)";  // the file it came from
  // Where the file sets each key it sets: "spool.directory", "listener.<name>.mode" -> line.
  std::map<std::string, size_t> lines;

  // [server]
  std::string hostname;  // default: the machine's host name
  std::vector<std::string> local_domains = {"localhost"};
  size_t threads = 0;     // scheduler threads; 0: one per core but one
  size_t io_threads = 0;  // socket I/O threads (one broker each); 0: a quarter of the cores, 1-4
  WorkerWait worker_wait = WorkerWait::block;
  std::string log_level = "info";
  std::string log_file;  // empty: stderr
  std::string user;      // after binding and opening the spool as root, run as this user
  std::string group;     // default: the user's primary group

  std::vector<ListenerConfig> listeners = {ListenerConfig{}};

  AuthConfig auth;

  // [limits]
  Limits limits;
  unsigned stress_percent = actors::BrokerSettings{}.stress_percent;  // of max_sessions; 0: off
  std::chrono::seconds shutdown_grace = actors::BrokerSettings{}.shutdown_grace;

  // [spool]
  std::string spool_dir = "./var/spool";
  storage::Durability durability = storage::Durability::fsync;
  // Queue files, a queue writer and a deliverer each; 0: a quarter of the cores, 1-4. Files
  // beyond it that exist already stay in use (they may hold mail).
  size_t queue_files = 0;
  uint64_t max_pending = actors::SpoolSettings{}.max_pending;
  size_t max_batch = actors::SpoolSettings{}.max_batch;
  std::chrono::milliseconds slow_commit = actors::SpoolSettings{}.slow_commit;
  std::chrono::milliseconds slow_latency = actors::SpoolSettings{}.slow_latency;
  std::chrono::milliseconds shed_latency = actors::SpoolSettings{}.shed_latency;
  std::chrono::milliseconds refuse_latency = actors::SpoolSettings{}.refuse_latency;
  // Edge role: stream every transaction to one of these spool nodes (`mailactor spoold`)
  // instead of the local queue; HOST:PORT each.
  std::vector<std::string> spool_remote;
  std::chrono::milliseconds remote_timeout{10000};  // per request to a spool node
  // Content without a commit this long is dropped.
  std::chrono::seconds abandon_after =
      std::chrono::duration_cast<std::chrono::seconds>(actors::SpoolSettings{}.abandon_after);

  // [node]: the link between edges and spool nodes (CAF remote actors over mutual TLS).
  std::string node_listen;  // spoold: publish the spooler here (HOST:PORT)
  uint32_t node_id = 0;     // spoold: in every queue id, unique per spool node; 0: not set
  std::string node_ca;      // PEM: the CA that signed every node's certificate
  std::string node_cert;    // PEM: this node's certificate
  std::string node_key;     // PEM: its key
  bool node_tls() const { return !node_ca.empty(); }

  // [metrics]
  std::string metrics_listen;     // HOST:PORT for /metrics, the live page, /stats.json; empty: off
  web::WebAccess metrics_access;  // token_file, password_file, protect_metrics
  size_t trace_messages = 5000;   // recent messages whose path is kept (/trace, mailactor trace)

  RoutingConfig routing;
  RelayConfig relay;

  // [delivery]
  bool delivery = true;
  std::string maildir = "./var/mail";
  bool keep_content = actors::SpoolSettings{}.keep_content;
  PluginTables delivery_targets;  // [delivery.<name>]: plug-in targets' options
  double delivery_cpu_share = actors::DeliverySettings{}.cpu_share;  // cpu_percent / 100
  size_t delivery_workers = 4;  // per-user Maildir targets (each fsyncs on its own)
  routing::RetrySchedule retry = actors::DeliverySettings{}.retry;
};

// Throws ConfigError.
Config load_config(const std::string& path);

// Every key the loader knows, as "section.key" ("server.hostname", "listener.limits.max_sessions"):
// checks the commented config (and the man page made from it) against the loader.
std::vector<std::string> known_keys();

// A quarter of this machine's cores, from one to four: what io_threads = 0 and queue_files = 0
// mean. Measured at W2 (docs/scaling.md): the I/O threads do about 45 % of the work per message
// and one queue writer about 25 %, so the same share of cores keeps either from waiting for the
// other; on 2 cores a second of either costs CPU per message for no throughput.
size_t quarter_of_cores();

// "host:port" / "[v6]:port" -> (host, port); throws ConfigError.
std::pair<std::string, uint16_t> split_host_port(const std::string& s);

}  // namespace mailactor::app
