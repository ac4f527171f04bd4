// What serve gives the actors, made from the config: each listener's settings (with its socket
// open), the auth backend the config names, the edge's spool nodes.
#pragma once

#include <caf/actor_system.hpp>

#include <map>
#include <memory>
#include <string>

#include "actors/auth/auth_front.hpp"
#include "actors/settings.hpp"
#include "actors/spool/remote_spool.hpp"
#include "actors/tls/tls_context.hpp"
#include "app/config.hpp"
#include "routing/router_source.hpp"

namespace mailactor::app {

// The backend the config names ("none": one that never says yes; AUTH is not offered then).
// Throws on unknown backends or bad options.
auth::auth_actor make_auth_backend(caf::actor_system& system, const Config& cfg);

actors::RemoteSpoolSettings remote_spool_settings(const Config& c);

tls::TlsSettings tls_settings(const ListenerConfig& l);

// The brokers' settings with every listener's socket open (as root, before privileges go), and
// each TLS listener's certificate source (SIGHUP replaces the pair in it).
struct Listeners {
  std::shared_ptr<actors::BrokerSettings> brokers = std::make_shared<actors::BrokerSettings>();
  std::map<std::string, std::shared_ptr<tls::TlsContextSource>> tls_sources;
};
Listeners open_listeners(const Config& cfg, std::shared_ptr<routing::RouterSource> router,
                         std::shared_ptr<actors::SessionCensus> census);

}  // namespace mailactor::app
