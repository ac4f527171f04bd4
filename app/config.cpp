#include "app/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>
#include <tuple>

#include "actors/delivery/plugin_targets.hpp"
#include "actors/outbound/dkim_signer.hpp"
#include "app/config_tables.hpp"
#include "app/toml_guard.hpp"
#include "routing/alias_table.hpp"

namespace mailactor::app {
namespace {

// A smarthost's credentials file must be readable by the server's user only.
void read_credentials(TableReader& r, const std::string& file, routing::Smarthost& h) {
  const std::string key = "smarthost_auth_file";
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) r.fail(key, file + ": " + std::strerror(errno));
  if ((st.st_mode & 077) != 0)
    r.fail(key, file + " can be read by others (mode " + std::to_string((st.st_mode >> 6) & 7) +
                    std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) +
                    "): chmod 600 it");
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    std::tie(h.user, h.password) = routing::parse_credentials(text);
  } catch (const std::invalid_argument& e) {
    r.fail(key, file + ": " + e.what());
  }
}

// The smarthost the destination keys of [relay] or a [relay.domain."D"] name, if any.
std::optional<routing::Smarthost> smarthost_of(TableReader& r, const DestinationKeys& d) {
  if (d.smarthost.empty()) {
    if (!d.smarthost_auth_file.empty()) r.fail("smarthost_auth_file", "needs a smarthost");
    return std::nullopt;
  }
  r.check_host_port("smarthost", d.smarthost);
  auto [host, port] = split_host_port(d.smarthost);
  routing::Smarthost h;
  h.host = host;
  h.port = port;
  h.implicit_tls = d.smarthost_tls == "implicit";
  // A smarthost link falls back to plaintext only when asked to (smarthost_tls = "may", for a
  // relay on the operator's own network): tls = "may" means "encrypt" there.
  h.tls = d.tls == routing::TlsPolicy::verify ? d.tls : routing::TlsPolicy::encrypt;
  if (d.smarthost_tls == "may") {
    if (!d.smarthost_auth_file.empty())
      r.fail("smarthost_auth_file",
             "needs smarthost_tls \"starttls\" or \"implicit\": credentials never go in plaintext");
    h.tls = routing::TlsPolicy::may;
  }
  if (!d.smarthost_auth_file.empty()) read_credentials(r, d.smarthost_auth_file, h);
  return h;
}

// The tables inside `r`'s table ([auth.<name>], [routing.<name>], [delivery.<name>]) that the
// section did not read as its own keys ([routing.routes]): a plug-in's own options, as strings
// with their lines, checked by its factory.
PluginTables plugin_tables(TableReader& r, const std::string& section) {
  PluginTables tables{r.file(), section, {}};
  for (auto& [k, v] : r.table()) {
    std::string name(k.str());
    if (!v.is_table() || r.was_read(name)) continue;
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
    tables.tables[name] = Options(r.file(), section + "." + name, std::move(values));
  }
  return tables;
}

std::string default_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

toml::table parse_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": cannot read: " + std::strerror(errno));
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (auto problem = unsafe_toml_text(text))
    throw ConfigError(path + ":" + std::to_string(problem->line) + ": " + problem->what);
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(path + ":" + std::to_string(e.source().begin.line) + ": " +
                      std::string(e.description()));
  }
}

// Each section: its keys from its table, then what no single key can check.

void read_server(TableReader& r, Config& c) {
  read_keys(r, server_keys(), c);
  if (c.hostname.empty()) r.fail("hostname", "must not be empty");
  for (auto& d : c.local_domains)
    d = routing::to_lower_ascii(d);
}

void read_limits(TableReader& r, Config& c) {
  read_keys(r, limits_keys(), c.limits);
  read_keys(r, server_limits_keys(), c);
  if (c.limits.max_sessions == 0) r.fail("max_sessions", "must be between 1 and 1000000");
}

void check_listener(TableReader& r, const ListenerConfig& l) {
  if (l.tls != actors::TlsMode::none && (l.tls_cert.empty() || l.tls_key.empty()))
    r.fail("tls", "needs tls_cert and tls_key");
  if (l.require_tls && l.tls != actors::TlsMode::starttls)
    r.fail("require_tls", "needs tls = \"starttls\"");
  r.check_host_port("listen", l.listen);
  const auto& p = l.proxy;
  if (!p.enabled && p.trusted) r.fail("proxy_trusted_networks", "needs proxy_protocol = true");
  if (p.enabled && !p.trusted)
    r.fail("proxy_protocol", "needs proxy_trusted_networks (the load balancers' addresses)");
}

void read_listeners(TableReader& top, Config& c) {
  for (auto& l : c.listeners)  // the default listener, when there are no [[listener]] tables
    l.limits = listener_limits(c.limits);
  const toml::node* n = top.node("listener");
  if (!n) return;
  auto* arr = n->as_array();
  if (!arr || arr->empty() || !arr->is_array_of_tables())
    top.fail(n, "listener", "must be one or more [[listener]] tables");
  c.listeners.clear();
  std::set<std::string> names;
  for (auto& e : *arr) {
    TableReader r(*e.as_table(), top.file(), "listener.");
    ListenerConfig l;
    read_keys(r, listener_keys(), l);
    l.limits = listener_limits(c.limits);
    std::map<std::string, size_t> lines = r.lines();
    if (auto* lt = r.subtable("limits")) {
      TableReader lr(*lt, top.file(), "listener.limits.");
      read_keys(lr, limits_keys(), l.limits);
      lr.finish();
      lines.insert(lr.lines().begin(), lr.lines().end());
    }
    r.finish();
    check_listener(r, l);
    if (!names.insert(l.name).second) r.fail(&e, "name", "\"" + l.name + "\" used twice");
    for (const auto& [key, line] : lines)  // "listener.mode" -> "listener.<name>.mode"
      c.lines["listener." + l.name + key.substr(std::string("listener").size())] = line;
    c.listeners.push_back(l);
  }
}

void read_auth(TableReader& r, Config& c) {
  read_keys(r, auth_keys(), c.auth);
  c.auth.options = plugin_tables(r, "auth");  // [auth.<backend>], checked by its factory
}

void read_spool(TableReader& r, Config& c) {
  read_keys(r, spool_keys(), c);
  if (!(c.slow_latency <= c.shed_latency && c.shed_latency <= c.refuse_latency))
    r.fail("shed_latency_ms", "needs slow_latency_ms <= shed_latency_ms <= refuse_latency_ms");
  for (const auto& hp : c.spool_remote)
    r.check_host_port("remote", hp);
  if (c.spool_dir.empty()) r.fail("directory", "must not be empty");
}

void read_node(TableReader& r, Config& c) {
  read_keys(r, node_keys(), c);
  if (!c.node_listen.empty()) r.check_host_port("listen", c.node_listen);
  // Mutual TLS is all or nothing: a half-configured link must not fall back to plaintext.
  if (c.node_ca.empty() || c.node_cert.empty() || c.node_key.empty())
    r.fail(&r.table(), "ca", "ca, cert and key are all needed (the node link is mutual TLS)");
}

// An edge streams to spool nodes: what that rules out in the rest of the file.
void check_edge(const std::string& path, const Config& c) {
  if (!c.spool_remote.empty() && !c.node_tls())
    throw ConfigError(path + ": spool.remote: needs [node] ca, cert and key (mutual TLS)");
  // An edge's sessions send to the spool nodes' writers themselves, and CAF 0.17.6's middleman
  // carries messages only of its own actor system's actors (actor ids are per system).
  if (!c.spool_remote.empty() && c.io_threads > 1)
    throw ConfigError(path + ": server.io_threads: an edge ([spool] remote) has one I/O thread");
  if (!c.spool_remote.empty() && c.queue_files > 0)
    throw ConfigError(path + ": spool.queue_files: an edge ([spool] remote) has no queue files");
}

void read_metrics(TableReader& r, Config& c) {
  read_keys(r, metrics_keys(), c);
  auto& a = c.metrics_access;
  a.required = !a.token.empty() || !a.password.empty();
  if (a.protect_metrics && !a.required)
    r.fail("protect_metrics", "needs token_file or password_file");
  if (c.metrics_listen.empty()) return;
  r.check_host_port("listen", c.metrics_listen);
  if (!a.required && !routing::is_loopback_host(split_host_port(c.metrics_listen).first))
    r.fail("listen", "\"" + c.metrics_listen +
                         "\" is not a loopback address: set token_file or password_file (the "
                         "live page and /stats.json are only open to anyone on loopback)");
}

// [routing.routes]: "address" or "domain" = "route name": a built-in route or a registered
// delivery target (registered before mailactor::main, so known here).
constexpr const char* kLmtpNeedsServer = "\"lmtp\" needs lmtp = \"unix:/path\" or \"HOST:PORT\"";

void read_routes(TableReader& r, RoutingConfig& rc) {
  const toml::node* routes = r.node("routes");
  if (!routes) return;
  if (!routes->is_table()) r.fail(routes, "routes", "must be a table ([routing.routes])");
  for (const auto& [key, node] : *routes->as_table()) {
    std::string where(key.str()), name;
    if (auto s = node.value<std::string>(); s && node.is_string()) name = *s;
    if (name.empty()) r.fail(&node, "routes." + where, "must be a route name (a string)");
    where = routing::to_lower_ascii(where);
    auto route = routing::parse_route(name);
    if (!route && !actors::is_plugin_target(name))
      r.fail(&node, "routes." + where,
             "no delivery target \"" + name +
                 "\" (built in: ingest, maildir, lmtp, relay; registered: " +
                 actors::plugin_target_names() + ")");
    if (route == routing::Route::lmtp() && rc.lmtp.empty())
      r.fail(&node, "routes." + where, kLmtpNeedsServer);
    rc.routes.emplace(where, route ? *route : routing::Route::plugin(name));
  }
}

void read_routing(TableReader& r, Config& c) {
  auto& rc = c.routing;
  read_keys(r, routing_keys(), rc);
  read_routes(r, rc);
  rc.source_options = plugin_tables(r, "routing");
  for (const auto& [name, options] : rc.source_options.tables)
    if (std::find(rc.sources.begin(), rc.sources.end(), name) == rc.sources.end())
      r.fail(name, "options for a user source that sources does not list");
  if (rc.mailbox == routing::Route::lmtp() && rc.lmtp.empty()) r.fail("mailbox", kLmtpNeedsServer);
  if (!rc.lmtp.empty() && rc.lmtp.rfind("unix:", 0) != 0) r.check_host_port("lmtp", rc.lmtp);
  if (rc.detail_separator.size() > 1) r.fail("detail_separator", "must be one character or empty");
  if (rc.mailbox_root.empty()) r.fail("mailbox_root", "must not be empty");
}

void read_relay_domains(TableReader& r, RelayConfig& rc) {
  const toml::node* domains = r.node("domain");
  if (!domains) return;
  if (!domains->is_table()) r.fail(domains, "domain", "must be a table ([relay.domain.\"D\"])");
  for (const auto& [name, node] : *domains->as_table()) {
    std::string domain(name.str());
    if (!node.is_table()) r.fail(&node, "domain." + domain, "must be a table");
    TableReader d(*node.as_table(), r.file(), "relay.domain." + domain + ".");
    DestinationKeys keys;
    keys.tls = rc.policy.tls;
    read_keys(d, destination_keys(), keys);
    d.finish();
    if (auto sh = smarthost_of(d, keys)) rc.policy.by_domain[domain] = *sh;
    rc.policy.tls_by_domain[domain] = keys.tls;
  }
}

void read_relay(TableReader& r, Config& c) {
  auto& rc = c.relay;
  read_keys(r, relay_keys(), rc);
  DestinationKeys keys;
  read_keys(r, destination_keys(), keys);
  rc.policy.tls = keys.tls;
  rc.policy.smarthost = smarthost_of(r, keys);
  read_relay_domains(r, rc);
  if (rc.retry.max < rc.retry.first) r.fail("retry_max", "must be at least retry_first");
}

void read_dkim(TableReader& r, Config& c) {
  read_keys(r, dkim_keys(), c.relay);
  const auto& h = c.relay.dkim_headers;
  if (std::find(h.begin(), h.end(), "from") == h.end())
    r.fail("headers", "must include \"from\" (RFC 6376 §5.4)");
}

void read_delivery(TableReader& r, Config& c) {
  read_keys(r, delivery_keys(), c);
  c.delivery_targets = plugin_tables(r, "delivery");
  for (const auto& [name, options] : c.delivery_targets.tables)
    if (!actors::is_plugin_target(name))
      r.fail(name,
             "options for no delivery target (registered: " + actors::plugin_target_names() + ")");
  if (c.retry.max < c.retry.first) r.fail("retry_max", "must be at least retry_first");
}

// [section] of the file, read by `read` and then checked for unknown keys.
void section(TableReader& top, const std::string& name, Config& c,
             void (*read)(TableReader&, Config&)) {
  if (const toml::table* t = top.subtable(name)) {
    TableReader r(*t, top.file(), name + ".");
    read(r, c);
    r.finish();
    c.lines.insert(r.lines().begin(), r.lines().end());
  }
}

}  // namespace

Limits listener_limits(const Limits& server) {
  Limits l = server;
  l.max_sessions = 0;
  return l;
}

Config Config::defaults() {
  Config c;
  c.hostname = default_hostname();
  c.relay.dkim_headers = actors::outbound::default_dkim_headers();
  for (auto& l : c.listeners)
    l.limits = listener_limits(c.limits);
  return c;
}

size_t quarter_of_cores() {
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  return std::clamp<size_t>(cores / 4, 1, 4);
}

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

Config load_config(const std::string& path) {
  const toml::table root = parse_file(path);
  Config c = Config::defaults();
  c.source = path;
  c.auth.options = {path, "auth", {}};
  c.routing.source_options = {path, "routing", {}};
  c.delivery_targets = {path, "delivery", {}};
  TableReader top(root, path, "");
  section(top, "server", c, read_server);
  section(top, "limits", c, read_limits);
  read_listeners(top, c);
  section(top, "auth", c, read_auth);
  section(top, "spool", c, read_spool);
  section(top, "node", c, read_node);
  check_edge(path, c);
  section(top, "metrics", c, read_metrics);
  section(top, "routing", c, read_routing);
  section(top, "relay", c, read_relay);
  section(top, "dkim", c, read_dkim);
  section(top, "delivery", c, read_delivery);
  top.finish();
  for (const auto& [where, route] : c.routing.routes)
    if (route == routing::Route::relay() && !c.relay.policy.enabled)
      throw ConfigError(path + ": routing.routes." + where + ": \"relay\" needs [relay] enabled");
  return c;
}

std::vector<std::string> known_keys() {
  std::vector<std::string> keys;
  for_each_key([&](const KeyInfo& k) { keys.push_back(k.section + "." + k.name); });
  return keys;
}

}  // namespace mailactor::app
