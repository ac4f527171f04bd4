// mailactor's configuration file (TOML, see conf/mailactor.toml). Parsing is strict: an unknown
// key, a value of the wrong type or out of range is an error naming the file, line and key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/auth/backend_registry.hpp"
#include "actors/settings.hpp"
#include "protocol/data_decoder.hpp"
#include "storage/queue_store.hpp"

namespace mailactor::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// [limits], and the same keys in a listener's own [listener.limits] table, which start from the
// [limits] values (except max_sessions, which per listener is 0: only the server-wide cap).
struct Limits {
  uint64_t max_message_size = 25 * 1024 * 1024;
  size_t max_recipients = 100;
  size_t max_sessions = 1000;
  size_t max_sessions_per_ip = 50;
  size_t max_connection_rate_per_ip = 0;
  size_t max_message_rate_per_ip = 0;
  size_t max_messages_per_session = 1000;
  size_t max_errors = 20;
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{180};
  protocol::BareNewline bare_newline = protocol::BareNewline::normalize;
  std::chrono::milliseconds greeting_delay{0};
};

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
};

struct AuthConfig {
  std::string backend = "none";  // none, passwd-file, dovecot, allow-all, static-map, ...
  std::chrono::milliseconds timeout{5000};
  size_t max_failures = 3;
  std::chrono::milliseconds tarpit{1000};
  std::map<std::string, auth::BackendOptions> options;  // [auth.<backend>] tables
  std::string source;

  auth::BackendOptions options_for(const std::string& name) const {
    auto it = options.find(name);
    return it == options.end() ? auth::BackendOptions(source, "auth." + name, {}) : it->second;
  }
};

// How idle scheduler threads wait for work.
enum class WorkerWait {
  block,  // on a condition variable, woken per job: lowest latency, no idle polling
  poll,   // CAF's default: 25 ms of 50 us sleeps first
};

struct Config {
  std::string source = "(defaults)";  // the file it came from

  // [server]
  std::string hostname;  // default: the machine's host name
  std::vector<std::string> local_domains = {"localhost"};
  size_t threads = 0;  // scheduler threads; 0: one per core but one
  WorkerWait worker_wait = WorkerWait::block;
  std::string log_level = "info";
  std::string log_file;  // empty: stderr
  std::string user;      // after binding and opening the spool as root, run as this user
  std::string group;     // default: the user's primary group

  std::vector<ListenerConfig> listeners = {ListenerConfig{}};

  AuthConfig auth;

  // [limits]
  Limits limits;
  std::chrono::seconds shutdown_grace{30};

  // [spool]
  std::string spool_dir = "./var/spool";
  storage::Durability durability = storage::Durability::fsync;
  uint64_t max_pending = 5000;
  size_t max_batch = 1000;
  std::chrono::milliseconds slow_commit{0};
  std::chrono::milliseconds slow_latency{250};
  std::chrono::milliseconds shed_latency{1000};
  std::chrono::milliseconds refuse_latency{5000};
  // Edge role: stream every transaction to one of these spool nodes (`mailactor spoold`)
  // instead of the local queue; HOST:PORT each.
  std::vector<std::string> spool_remote;
  std::chrono::milliseconds remote_timeout{10000};  // per request to a spool node
  std::chrono::seconds abandon_after{3600};         // content without commit this long: dropped

  // [node]: the link between edges and spool nodes (CAF remote actors over mutual TLS).
  std::string node_listen;  // spoold: publish the spooler here (HOST:PORT)
  uint32_t node_id = 0;     // spoold: in every queue id, unique per spool node; 0: not set
  std::string node_ca;      // PEM: the CA that signed every node's certificate
  std::string node_cert;    // PEM: this node's certificate
  std::string node_key;     // PEM: its key
  bool node_tls() const { return !node_ca.empty(); }

  // [metrics]
  std::string metrics_listen;  // HOST:PORT for Prometheus /metrics; empty: off

  // [delivery]
  bool delivery = true;
  std::string maildir = "./var/mail";
  bool keep_content = false;
  double delivery_cpu_share = 1.0;  // cpu_percent / 100
};

// Throws ConfigError.
Config load_config(const std::string& path);

// "host:port" / "[v6]:port" -> (host, port); throws ConfigError.
std::pair<std::string, uint16_t> split_host_port(const std::string& s);

}  // namespace mailactor::app
