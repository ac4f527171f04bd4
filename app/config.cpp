#include "app/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <tuple>

#include "actors/outbound/dkim_signer.hpp"
#include "app/toml_guard.hpp"

#include <sys/stat.h>

#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <set>

namespace mailactor::app {
namespace {

// While keys_read() runs: every key the loader looks up, with its table's prefix.
thread_local std::set<std::string>* keys_looked_up = nullptr;

// Reads one TOML table, remembering which keys were used, so unknown keys can be reported.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string file, std::string prefix)
      : t_(t), file_(std::move(file)), prefix_(std::move(prefix)) {}

  [[noreturn]] void fail(const toml::node* n, const std::string& key,
                         const std::string& msg) const {
    std::string where = file_;
    if (n) where += ":" + std::to_string(n->source().begin.line);
    throw ConfigError(where + ": " + prefix_ + key + ": " + msg);
  }

  const toml::node* node(const std::string& key) {
    used_.insert(key);
    if (keys_looked_up) keys_looked_up->insert(prefix_ + key);
    return t_.get(key);
  }

  void string(const std::string& key, std::string& out) {
    if (auto* n = node(key)) {
      auto v = n->value<std::string>();
      if (!n->is_string() || !v) fail(n, key, "must be a string");
      out = *v;
    }
  }

  template <class Int>
  void integer(const std::string& key, Int& out, int64_t min, int64_t max) {
    if (auto* n = node(key)) {
      if (!n->is_integer()) fail(n, key, "must be an integer");
      int64_t v = *n->value<int64_t>();
      if (v < min || v > max)
        fail(n, key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      out = static_cast<Int>(v);
    }
  }

  // A duration given as a whole number of its own unit (seconds, or milliseconds for *_ms).
  template <class Duration>
  void duration(const std::string& key, Duration& out, int64_t min, int64_t max) {
    int64_t v = out.count();
    integer(key, v, min, max);
    out = Duration(v);
  }
  void seconds(const std::string& key, std::chrono::seconds& out, int64_t min, int64_t max) {
    duration(key, out, min, max);
  }

  void boolean(const std::string& key, bool& out) {
    if (auto* n = node(key)) {
      if (!n->is_boolean()) fail(n, key, "must be true or false");
      out = *n->value<bool>();
    }
  }

  void strings(const std::string& key, std::vector<std::string>& out) {
    if (auto* n = node(key)) {
      auto* arr = n->as_array();
      if (!arr) fail(n, key, "must be an array of strings");
      out.clear();
      for (auto& e : *arr) {
        if (!e.is_string()) fail(&e, key, "must be an array of strings");
        out.push_back(*e.value<std::string>());
      }
    }
  }

  template <class E>
  void choice(const std::string& key, E& out,
              std::initializer_list<std::pair<const char*, E>> options) {
    if (auto* n = node(key)) {
      auto v = n->value<std::string>();
      std::string allowed;
      for (auto& [name, value] : options) {
        if (v && *v == name) {
          out = value;
          return;
        }
        allowed += allowed.empty() ? "" : ", ";
        allowed += std::string("\"") + name + "\"";
      }
      fail(n, key, "must be one of " + allowed);
    }
  }

  // `value` (read from `key`) must be HOST:PORT.
  void check_host_port(const std::string& key, const std::string& value) const {
    try {
      split_host_port(value);
    } catch (const ConfigError& err) {
      fail(t_.get(key), key, err.what());
    }
  }

  // Every key of the table must have been read.
  void finish() const {
    for (auto& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key)) fail(&v, key, "unknown key");
    }
  }

 private:
  const toml::table& t_;
  std::string file_;
  std::string prefix_;
  std::set<std::string> used_;
};

const toml::table* subtable(TableReader& top, const std::string& key, const std::string& file) {
  const toml::node* n = top.node(key);
  if (!n) return nullptr;
  if (!n->is_table()) {
    throw ConfigError(file + ":" + std::to_string(n->source().begin.line) + ": " + key +
                      ": must be a table ([" + key + "])");
  }
  return n->as_table();
}

// The keys shared by [limits] and [listener.limits]; min_sessions is 0 where 0 means "no
// listener cap".
void read_limits(TableReader& r, Limits& l, int64_t min_sessions = 1) {
  r.integer("max_message_size", l.max_message_size, 1024, int64_t{1} << 40);
  r.integer("max_recipients", l.max_recipients, 1, 100000);
  r.integer("max_sessions", l.max_sessions, min_sessions, 1000000);
  r.integer("max_sessions_per_ip", l.max_sessions_per_ip, 1, 1000000);
  r.integer("max_connection_rate_per_ip", l.max_connection_rate_per_ip, 0, 100000000);
  r.integer("max_message_rate_per_ip", l.max_message_rate_per_ip, 0, 100000000);
  r.integer("max_messages_per_session", l.max_messages_per_session, 0, 100000000);
  r.integer("max_errors", l.max_errors, 0, 100000);
  r.seconds("command_timeout", l.command_timeout, 1, 86400);
  r.seconds("data_timeout", l.data_timeout, 1, 86400);
  r.duration("greeting_delay_ms", l.greeting_delay, 0, 60000);
  r.seconds("stress_idle_timeout", l.stress_idle_timeout, 1, 86400);
  r.integer("stress_max_errors", l.stress_max_errors, 0, 100000);
  r.choice<protocol::BareNewline>(
      "bare_newline", l.bare_newline,
      {{"normalize", protocol::BareNewline::normalize}, {"reject", protocol::BareNewline::reject}});
  r.choice<protocol::NulBytes>(
      "nul_bytes", l.nul_bytes,
      {{"reject", protocol::NulBytes::reject}, {"strip", protocol::NulBytes::strip}});
  r.integer("max_hops", l.max_hops, 0, 1000);
}

// A smarthost's credentials file must be readable by the server's user only.
void read_credentials(TableReader& r, const toml::node* where, const std::string& file,
                      routing::Smarthost& h) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    r.fail(where, "smarthost_auth_file", file + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    r.fail(where, "smarthost_auth_file",
           file + " can be read by others (mode " + std::to_string((st.st_mode >> 6) & 7) +
               std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
               "): chmod 600 it");
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    std::tie(h.user, h.password) = routing::parse_credentials(text);
  } catch (const std::invalid_argument& e) {
    r.fail(where, "smarthost_auth_file", file + ": " + e.what());
  }
}

// smarthost, smarthost_tls, smarthost_auth_file and tls of [relay] or a [relay.domain."D"].
void read_destination(TableReader& r, const toml::table& t, std::optional<routing::Smarthost>& sh,
                      routing::TlsPolicy& tls) {
  std::string address, mode = "starttls", auth_file;
  r.string("smarthost", address);
  r.choice<std::string>("smarthost_tls", mode,
                        {{"starttls", "starttls"}, {"implicit", "implicit"}, {"may", "may"}});
  r.string("smarthost_auth_file", auth_file);
  r.choice<routing::TlsPolicy>("tls", tls,
                               {{"may", routing::TlsPolicy::may},
                                {"encrypt", routing::TlsPolicy::encrypt},
                                {"verify", routing::TlsPolicy::verify}});
  if (address.empty()) {
    if (!auth_file.empty())
      r.fail(t.get("smarthost_auth_file"), "smarthost_auth_file", "needs a smarthost");
    return;
  }
  r.check_host_port("smarthost", address);
  auto [host, port] = split_host_port(address);
  routing::Smarthost h;
  h.host = host;
  h.port = port;
  h.implicit_tls = mode == "implicit";
  // A smarthost link falls back to plaintext only when asked to (smarthost_tls = "may", for a
  // relay on the operator's own network): tls = "may" means "encrypt" there.
  h.tls = tls == routing::TlsPolicy::verify ? tls : routing::TlsPolicy::encrypt;
  if (mode == "may") {
    if (!auth_file.empty())
      r.fail(t.get("smarthost_auth_file"), "smarthost_auth_file",
             "needs smarthost_tls \"starttls\" or \"implicit\": credentials never go in plaintext");
    h.tls = routing::TlsPolicy::may;
  }
  if (!auth_file.empty()) read_credentials(r, t.get("smarthost_auth_file"), auth_file, h);
  sh = h;
}

// A list of networks under `key`; null when the key is absent or empty.
std::shared_ptr<const routing::Networks> read_networks(TableReader& r, const toml::table& t,
                                                       const std::string& key) {
  std::vector<std::string> entries;
  r.strings(key, entries);
  if (entries.empty()) return nullptr;
  std::string error;
  auto networks = routing::Networks::parse(entries, &error);
  if (!networks) r.fail(t.get(key), key, error);
  return std::make_shared<const routing::Networks>(std::move(*networks));
}

// A listener behind a load balancer: the PROXY header is demanded, from the balancers only.
void read_proxy_protocol(TableReader& r, const toml::table& t, actors::ProxyProtocolSettings& p) {
  r.boolean("proxy_protocol", p.enabled);
  p.trusted = read_networks(r, t, "proxy_trusted_networks");
  r.seconds("proxy_header_timeout", p.header_timeout, 1, 60);
  if (!p.enabled && p.trusted)
    r.fail(t.get("proxy_trusted_networks"), "proxy_trusted_networks",
           "needs proxy_protocol = true");
  if (p.enabled && !p.trusted)
    r.fail(t.get("proxy_protocol"), "proxy_protocol",
           "needs proxy_trusted_networks (the load balancers' addresses)");
}

// Who may read the metrics listener's pages (web/access.hpp): secrets from files, so the config
// itself holds none.
void read_web_access(TableReader& r, const toml::table& t, web::WebAccess& a) {
  std::string token_file, password_file;
  r.string("token_file", token_file);
  r.string("password_file", password_file);
  r.boolean("protect_metrics", a.protect_metrics);
  r.strings("host_names", a.host_names);
  auto secret = [&](const std::string& key, const std::string& file) {
    try {
      return file.empty() ? std::string() : web::read_secret_file(file);
    } catch (const std::exception& e) {
      r.fail(t.get(key), key, e.what());
    }
  };
  a.token = secret("token_file", token_file);
  a.password = secret("password_file", password_file);
  a.required = !a.token.empty() || !a.password.empty();
  if (a.protect_metrics && !a.required)
    r.fail(t.get("protect_metrics"), "protect_metrics", "needs token_file or password_file");
}

void read_relay(const toml::table& t, const std::string& path, Config& c) {
  TableReader r(t, path, "relay.");
  auto& rc = c.relay;
  r.boolean("enabled", rc.policy.enabled);
  read_destination(r, t, rc.policy.smarthost, rc.policy.tls);
  rc.trusted_networks = read_networks(r, t, "trusted_networks");
  r.string("tls_ca_file", rc.tls_ca_file);
  r.string("dns_server", rc.dns_server);
  r.integer("mx_port", rc.policy.mx_port, 1, 65535);
  r.integer("max_mx_hosts", rc.policy.max_hosts, 1, 20);
  r.integer("connections", rc.connections, 1, 1000);
  r.integer("connections_per_destination", rc.connections_per_destination, 1, 1000);
  r.seconds("retry_first", rc.retry.first, 1, 24 * 3600);
  r.seconds("retry_max", rc.retry.max, 1, 7 * 24 * 3600);
  r.seconds("queue_lifetime", rc.retry.lifetime, 1, 60 * 24 * 3600);
  r.duration("connect_timeout_ms", rc.connect_timeout, 100, 600000);
  r.duration("timeout_ms", rc.timeout, 100, 3600000);
  r.seconds("connection_idle", rc.connection_idle, 1, 3600);
  if (const auto* domains = r.node("domain")) {
    if (!domains->is_table()) r.fail(domains, "domain", "must be a table ([relay.domain.\"D\"])");
    for (const auto& [name, node] : *domains->as_table()) {
      std::string domain(name.str());
      if (!node.is_table()) r.fail(&node, "domain." + domain, "must be a table");
      TableReader d(*node.as_table(), path, "relay.domain." + domain + ".");
      std::optional<routing::Smarthost> sh;
      routing::TlsPolicy tls = rc.policy.tls;
      read_destination(d, *node.as_table(), sh, tls);
      d.finish();
      if (sh) rc.policy.by_domain[domain] = *sh;
      rc.policy.tls_by_domain[domain] = tls;
    }
  }
  r.finish();
  if (rc.retry.max < rc.retry.first)
    r.fail(t.get("retry_max"), "retry_max", "must be at least retry_first");
}

std::string default_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// The tables inside `t` ([auth.<name>], [routing.<name>]): a plug-in's own options, as strings
// with their lines, checked by its factory.
PluginTables plugin_tables(TableReader& r, const toml::table& t, const std::string& path,
                           const std::string& section) {
  PluginTables tables{path, section, {}};
  for (auto& [k, v] : t) {
    std::string name(k.str());
    if (!v.is_table()) continue;
    r.node(name);
    std::map<std::string, Options::Value> values;
    for (auto& [ok, ov] : *v.as_table()) {
      std::string text;
      if (auto sv = ov.value<std::string>(); sv && ov.is_string()) {
        text = *sv;
      } else if (ov.is_boolean()) {
        text = *ov.value<bool>() ? "true" : "false";
      } else if (ov.is_integer()) {
        text = std::to_string(*ov.value<int64_t>());
      } else {
        r.fail(&ov, name + "." + std::string(ok.str()), "must be a string, integer or boolean");
      }
      values[std::string(ok.str())] = {text, ov.source().begin.line};
    }
    tables.tables[name] = Options(path, section + "." + name, std::move(values));
  }
  return tables;
}

}  // namespace

std::pair<std::string, uint16_t> split_host_port(const std::string& s) {
  std::string host;
  std::string port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      throw ConfigError("bad address \"" + s + "\": expected [IPv6]:PORT");
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon)
      throw ConfigError("bad address \"" + s + "\": expected HOST:PORT");
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoul(port) > 65535)
    throw ConfigError("bad address \"" + s + "\": expected HOST:PORT with a port of 0-65535");
  return {host, static_cast<uint16_t>(std::stoul(port))};
}

std::set<std::string> keys_read(const std::string& path) {
  std::set<std::string> keys;
  keys_looked_up = &keys;
  try {
    load_config(path);
  } catch (...) {
    keys_looked_up = nullptr;
    throw;
  }
  keys_looked_up = nullptr;
  return keys;
}

Config load_config(const std::string& path) {
  toml::table root;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (auto problem = unsafe_toml_text(text))
    throw ConfigError(path + ":" + std::to_string(problem->line) + ": " + problem->what);
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
  Config c;
  c.source = path;
  c.auth.options = {path, "auth", {}};
  c.routing.source_options = {path, "routing", {}};
  c.hostname = default_hostname();
  TableReader top(root, path, "");

  if (auto* t = subtable(top, "server", path)) {
    TableReader r(*t, path, "server.");
    r.string("hostname", c.hostname);
    r.strings("local_domains", c.local_domains);
    r.integer("threads", c.threads, 0, 256);
    r.integer("io_threads", c.io_threads, 0, 64);
    r.choice<WorkerWait>("worker_wait", c.worker_wait,
                         {{"block", WorkerWait::block}, {"poll", WorkerWait::poll}});
    r.choice<std::string>("log_level", c.log_level,
                          {{"trace", "trace"},
                           {"debug", "debug"},
                           {"info", "info"},
                           {"warn", "warn"},
                           {"error", "error"}});
    r.string("log_file", c.log_file);
    r.string("user", c.user);
    r.string("group", c.group);
    r.finish();
    if (c.hostname.empty()) r.fail(t->get("hostname"), "hostname", "must not be empty");
  }
  for (auto& d : c.local_domains)
    std::transform(d.begin(), d.end(), d.begin(),
                   [](unsigned char ch) { return std::tolower(ch); });

  if (auto* t = subtable(top, "limits", path)) {
    TableReader r(*t, path, "limits.");
    read_limits(r, c.limits);
    r.seconds("shutdown_grace", c.shutdown_grace, 0, 3600);
    r.integer("stress_percent", c.stress_percent, 0, 100);
    r.finish();
  }

  // A listener starts from [limits], except max_sessions: the server-wide cap stays there.
  auto listener_limits = [&c] {
    Limits l = c.limits;
    l.max_sessions = 0;
    return l;
  };
  for (auto& l : c.listeners)  // the default listener, when there are no [[listener]] tables
    l.limits = listener_limits();
  if (auto* n = top.node("listener")) {
    auto* arr = n->as_array();
    if (!arr || arr->empty() || !arr->is_array_of_tables())
      throw ConfigError(path + ":" + std::to_string(n->source().begin.line) +
                        ": listener: must be one or more [[listener]] tables");
    c.listeners.clear();
    std::set<std::string> names;
    for (auto& e : *arr) {
      TableReader r(*e.as_table(), path, "listener.");
      ListenerConfig l;
      r.string("name", l.name);
      r.string("listen", l.listen);
      r.choice<actors::ListenerMode>(
          "mode", l.mode,
          {{"mx", actors::ListenerMode::mx}, {"submission", actors::ListenerMode::submission}});
      r.boolean("allow_plaintext_auth", l.allow_plaintext_auth);
      r.boolean("sender_login_match", l.sender_login_match);
      r.choice<actors::TlsMode>("tls", l.tls,
                                {{"none", actors::TlsMode::none},
                                 {"starttls", actors::TlsMode::starttls},
                                 {"implicit", actors::TlsMode::implicit}});
      r.string("tls_cert", l.tls_cert);
      r.string("tls_key", l.tls_key);
      r.choice<std::string>("tls_min_version", l.tls_min_version,
                            {{"TLSv1.2", "TLSv1.2"}, {"TLSv1.3", "TLSv1.3"}});
      r.boolean("require_tls", l.require_tls);
      read_proxy_protocol(r, *e.as_table(), l.proxy);
      l.limits = listener_limits();
      if (auto* lt = subtable(r, "limits", path)) {
        TableReader lr(*lt, path, "listener.limits.");
        read_limits(lr, l.limits, 0);
        lr.finish();
      }
      r.finish();
      if (l.tls != actors::TlsMode::none && (l.tls_cert.empty() || l.tls_key.empty()))
        r.fail(e.as_table()->get("tls"), "tls", "needs tls_cert and tls_key");
      if (l.require_tls && l.tls != actors::TlsMode::starttls)
        r.fail(e.as_table()->get("require_tls"), "require_tls", "needs tls = \"starttls\"");
      r.check_host_port("listen", l.listen);
      if (!names.insert(l.name).second) r.fail(&e, "name", "\"" + l.name + "\" used twice");
      c.listeners.push_back(l);
    }
  }

  if (auto* t = subtable(top, "auth", path)) {
    TableReader r(*t, path, "auth.");
    r.string("backend", c.auth.backend);
    auto timeout = std::chrono::duration_cast<std::chrono::seconds>(c.auth.timeout);
    r.seconds("timeout", timeout, 1, 300);
    c.auth.timeout = timeout;
    r.integer("max_failures", c.auth.max_failures, 1, 1000);
    r.duration("tarpit_ms", c.auth.tarpit, 0, 60000);
    r.integer("address_failures", c.auth.budget.per_address, 0, 100000);
    r.integer("network_failures", c.auth.budget.per_network, 0, 1000000);
    r.seconds("failure_window", c.auth.budget.window, 1, 86400);
    r.seconds("lockout", c.auth.budget.lockout, 1, 86400);
    // [auth.<backend>]: the backend's own options, checked by its factory.
    c.auth.options = plugin_tables(r, *t, path, "auth");
    r.finish();
  }

  if (auto* t = subtable(top, "spool", path)) {
    TableReader r(*t, path, "spool.");
    r.string("directory", c.spool_dir);
    r.choice<storage::Durability>(
        "durability", c.durability,
        {{"fsync", storage::Durability::fsync}, {"none", storage::Durability::none}});
    r.integer("queue_files", c.queue_files, 0, 64);
    r.integer("max_pending", c.max_pending, 1, 10000000);
    r.integer("max_batch", c.max_batch, 1, 100000);
    r.duration("slow_commit_ms", c.slow_commit, 0, 60000);
    r.duration("slow_latency_ms", c.slow_latency, 1, 600000);
    r.duration("shed_latency_ms", c.shed_latency, 1, 600000);
    r.duration("refuse_latency_ms", c.refuse_latency, 1, 600000);
    if (!(c.slow_latency <= c.shed_latency && c.shed_latency <= c.refuse_latency))
      r.fail(t->get("shed_latency_ms"), "shed_latency_ms",
             "needs slow_latency_ms <= shed_latency_ms <= refuse_latency_ms");
    r.strings("remote", c.spool_remote);
    for (const auto& hp : c.spool_remote)
      r.check_host_port("remote", hp);
    r.seconds("abandon_after", c.abandon_after, 1, 7 * 24 * 3600);
    r.duration("remote_timeout_ms", c.remote_timeout, 100, 600000);
    r.finish();
    if (c.spool_dir.empty()) r.fail(t->get("directory"), "directory", "must not be empty");
  }

  if (auto* t = subtable(top, "node", path)) {
    TableReader r(*t, path, "node.");
    r.string("listen", c.node_listen);
    r.integer("id", c.node_id, 1, 65535);
    r.string("ca", c.node_ca);
    r.string("cert", c.node_cert);
    r.string("key", c.node_key);
    r.finish();
    if (!c.node_listen.empty()) r.check_host_port("listen", c.node_listen);
    // Mutual TLS is all or nothing: a half-configured link must not fall back to plaintext.
    if (c.node_ca.empty() || c.node_cert.empty() || c.node_key.empty())
      r.fail(t, "ca", "ca, cert and key are all needed (the node link is mutual TLS)");
  }
  if (!c.spool_remote.empty() && !c.node_tls())
    throw ConfigError(path + ": spool.remote: needs [node] ca, cert and key (mutual TLS)");
  // An edge's sessions send to the spool nodes' writers themselves, and CAF 0.17.6's middleman
  // carries messages only of its own actor system's actors (actor ids are per system).
  if (!c.spool_remote.empty() && c.io_threads > 1)
    throw ConfigError(path + ": server.io_threads: an edge ([spool] remote) has one I/O thread");
  if (!c.spool_remote.empty() && c.queue_files > 0)
    throw ConfigError(path + ": spool.queue_files: an edge ([spool] remote) has no queue files");

  if (auto* t = subtable(top, "metrics", path)) {
    TableReader r(*t, path, "metrics.");
    r.string("listen", c.metrics_listen);
    r.integer("trace_messages", c.trace_messages, 0, 1000000);
    read_web_access(r, *t, c.metrics_access);
    c.metrics_access.host_names.push_back(c.hostname);
    r.finish();
    if (!c.metrics_listen.empty()) {
      r.check_host_port("listen", c.metrics_listen);
      if (!c.metrics_access.required &&
          !routing::is_loopback_host(split_host_port(c.metrics_listen).first))
        r.fail(t->get("listen"), "listen",
               "\"" + c.metrics_listen +
                   "\" is not a loopback address: set token_file or password_file (the live page "
                   "and /stats.json are only open to anyone on loopback)");
    }
  }

  if (auto* t = subtable(top, "routing", path)) {
    TableReader r(*t, path, "routing.");
    r.choice<routing::LocalMode>(
        "local", c.routing.local,
        {{"ingest", routing::LocalMode::ingest}, {"mailboxes", routing::LocalMode::mailboxes}});
    r.string("mailbox_root", c.routing.mailbox_root);
    r.string("aliases", c.routing.aliases);
    r.string("detail_separator", c.routing.detail_separator);
    r.strings("users", c.routing.users);
    r.string("passwd_file", c.routing.passwd_file);
    r.choice<routing::Route>(
        "mailbox", c.routing.mailbox,
        {{"maildir", routing::Route::maildir}, {"lmtp", routing::Route::lmtp}});
    r.string("lmtp", c.routing.lmtp);
    r.string("dovecot_userdb", c.routing.dovecot_userdb);
    r.duration("lookup_timeout_ms", c.routing.lookup_timeout, 100, 60000);
    r.strings("sources", c.routing.sources);
    c.routing.source_options = plugin_tables(r, *t, path, "routing");
    r.finish();
    for (const auto& [name, options] : c.routing.source_options.tables)
      if (std::find(c.routing.sources.begin(), c.routing.sources.end(), name) ==
          c.routing.sources.end())
        r.fail(t->get(name), name, "options for a user source that sources does not list");
    if (c.routing.mailbox == routing::Route::lmtp && c.routing.lmtp.empty())
      r.fail(t->get("mailbox"), "mailbox", "\"lmtp\" needs lmtp = \"unix:/path\" or \"HOST:PORT\"");
    if (!c.routing.lmtp.empty() && c.routing.lmtp.rfind("unix:", 0) != 0)
      r.check_host_port("lmtp", c.routing.lmtp);
    if (c.routing.detail_separator.size() > 1)
      r.fail(t->get("detail_separator"), "detail_separator", "must be one character or empty");
    if (c.routing.mailbox_root.empty())
      r.fail(t->get("mailbox_root"), "mailbox_root", "must not be empty");
  }

  if (auto* t = subtable(top, "relay", path)) read_relay(*t, path, c);
  c.relay.dkim_headers = actors::outbound::default_dkim_headers();
  if (auto* t = subtable(top, "dkim", path)) {
    TableReader r(*t, path, "dkim.");
    r.string("key_dir", c.relay.dkim_key_dir);
    r.strings("headers", c.relay.dkim_headers);
    r.finish();
    if (std::find(c.relay.dkim_headers.begin(), c.relay.dkim_headers.end(), "from") ==
        c.relay.dkim_headers.end())
      r.fail(t->get("headers"), "headers", "must include \"from\" (RFC 6376 §5.4)");
  }

  if (auto* t = subtable(top, "delivery", path)) {
    TableReader r(*t, path, "delivery.");
    r.boolean("enabled", c.delivery);
    r.string("maildir", c.maildir);
    r.boolean("keep_content", c.keep_content);
    int64_t percent = static_cast<int64_t>(c.delivery_cpu_share * 100 + 0.5);
    r.integer("cpu_percent", percent, 1, 100);
    c.delivery_cpu_share = static_cast<double>(percent) / 100.0;
    r.integer("workers", c.delivery_workers, 1, 64);
    r.seconds("retry_first", c.retry.first, 1, 24 * 3600);
    r.seconds("retry_max", c.retry.max, 1, 7 * 24 * 3600);
    r.seconds("queue_lifetime", c.retry.lifetime, 1, 60 * 24 * 3600);
    r.finish();
    if (c.retry.max < c.retry.first)
      r.fail(t->get("retry_max"), "retry_max", "must be at least retry_first");
  }
  top.finish();
  return c;
}

}  // namespace mailactor::app
