#include "app/server_settings.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "actors/auth/backend_registry.hpp"
#include "app/listen_socket.hpp"

namespace mailactor::app {
namespace {

actors::SessionSettings session_settings(const Config& c, const ListenerConfig& l,
                                         std::shared_ptr<routing::RouterSource> router) {
  actors::SessionSettings s;
  s.listener = l.name;
  s.mode = l.mode;
  s.router = router;
  s.lookup_timeout = c.routing.lookup_timeout;
  s.relay = c.relay.policy.enabled && c.delivery;
  s.trusted_networks = c.relay.trusted_networks;
  s.command_timeout = l.limits.command_timeout;
  s.data_timeout = l.limits.data_timeout;
  s.greeting_delay = l.limits.greeting_delay;
  s.stress_idle_timeout = l.limits.stress_idle_timeout;
  s.stress_max_errors = l.limits.stress_max_errors;
  auto& e = s.engine;
  e.hostname = c.hostname;
  e.max_message_size = l.limits.max_message_size;
  e.max_recipients = l.limits.max_recipients;
  e.max_messages = l.limits.max_messages_per_session;
  e.max_errors = l.limits.max_errors;
  e.bare_newline = l.limits.bare_newline;
  e.nul_bytes = l.limits.nul_bytes;
  e.max_hops = l.limits.max_hops;
  e.auth_required = l.mode == actors::ListenerMode::submission;
  if (c.auth.backend != "none") e.auth_mechanisms = {"PLAIN", "LOGIN"};
  e.allow_plaintext_auth = l.allow_plaintext_auth;
  e.starttls = l.tls == actors::TlsMode::starttls;
  e.tls_active = l.tls == actors::TlsMode::implicit;
  e.require_tls = l.require_tls;
  s.tls_mode = l.tls;
  s.sender_login_match = l.sender_login_match;
  s.auth_timeout = c.auth.timeout;
  s.max_auth_failures = c.auth.max_failures;
  s.auth_tarpit = c.auth.tarpit;
  // A spool node answers within remote_timeout or the transaction gets 451.
  if (!c.spool_remote.empty())
    s.spool_timeout = std::chrono::duration_cast<std::chrono::seconds>(
        c.remote_timeout + std::chrono::milliseconds(999));
  return s;
}

}  // namespace

auth::auth_actor make_auth_backend(caf::actor_system& system, const Config& cfg) {
  auth::BackendContext ctx;
  ctx.system = &system;
  for (const auto& l : cfg.listeners)
    ctx.listener_hosts.push_back(split_host_port(l.listen).first);
  const auto known = auth::backend_names();
  for (const auto& [name, opts] : cfg.auth.options.tables) {
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw auth::AuthConfigError(cfg.source + ": [auth." + name + "]: no backend of that name");
  }
  if (cfg.auth.backend == "none") {
    // The reason is an argument: CAF 0.17.6 dereferences a null argument tuple for spawns
    // without arguments (UBSan reports it).
    return system.spawn(
        [](std::string reason) -> auth::auth_actor::behavior_type {
          return {[=](actors::authenticate_atom, const actors::auth_request&) {
            return actors::auth_result::temporary_failure(reason);
          }};
        },
        std::string("no auth backend configured"));
  }
  auto options = cfg.auth.options.for_name(cfg.auth.backend);
  return auth::make_backend(cfg.auth.backend, ctx, options);
}

actors::RemoteSpoolSettings remote_spool_settings(const Config& c) {
  actors::RemoteSpoolSettings s;
  for (const auto& hp : c.spool_remote) {
    auto [host, port] = split_host_port(hp);
    s.nodes.push_back({host, port});
  }
  s.timeout = c.remote_timeout;
  return s;
}

tls::TlsSettings tls_settings(const ListenerConfig& l) {
  return tls::TlsSettings{l.tls_cert, l.tls_key, tls::parse_tls_version(l.tls_min_version)};
}

Listeners open_listeners(const Config& cfg, std::shared_ptr<routing::RouterSource> router,
                         std::shared_ptr<actors::SessionCensus> census) {
  Listeners out;
  out.brokers->max_sessions = cfg.limits.max_sessions;
  out.brokers->stress_percent = cfg.stress_percent;
  out.brokers->shutdown_grace = cfg.shutdown_grace;
  for (const auto& l : cfg.listeners) {
    auto [host, port] = split_host_port(l.listen);
    ListenSocket sock = open_listen_socket(host, port);
    actors::ListenerSettings ls;
    ls.name = l.name;
    ls.host = host;
    ls.port = sock.port;
    ls.fd = sock.fd;
    ls.session = session_settings(cfg, l, router);
    ls.session.census = census;
    ls.limits.max_sessions = l.limits.max_sessions;
    ls.limits.max_sessions_per_ip = l.limits.max_sessions_per_ip;
    ls.limits.max_connection_rate_per_ip = l.limits.max_connection_rate_per_ip;
    ls.proxy = l.proxy;
    if (l.tls != actors::TlsMode::none) {
      auto source = std::make_shared<tls::TlsContextSource>(tls::TlsContext::load(tls_settings(l)));
      ls.session.tls = source;
      out.tls_sources[l.name] = source;
    }
    out.brokers->listeners.push_back(std::move(ls));
  }
  return out;
}

}  // namespace mailactor::app
