// Every key of the config file, one table per section (app/config_tables.cpp): the one place a
// key, where it goes, its range and its help are written. load_config() reads through them;
// `check-config --keys` and `--defaults` print them.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "app/config.hpp"
#include "app/config_keys.hpp"

namespace mailactor::app {

// The four keys that name where mail for other domains goes, in [relay] and in each
// [relay.domain."D"] (turned into a routing::Smarthost once read).
struct DestinationKeys {
  std::string smarthost;
  std::string smarthost_tls = "starttls";
  std::string smarthost_auth_file;
  routing::TlsPolicy tls = routing::RelaySettings{}.tls;
};

const Keys<Config>& server_keys();
const Keys<Limits>& limits_keys();         // [limits] and [listener.limits]
const Keys<Config>& server_limits_keys();  // [limits] only
const Keys<ListenerConfig>& listener_keys();
const Keys<AuthConfig>& auth_keys();
const Keys<Config>& spool_keys();
const Keys<Config>& node_keys();
const Keys<Config>& metrics_keys();
const Keys<RoutingConfig>& routing_keys();
const Keys<RelayConfig>& relay_keys();
const Keys<DestinationKeys>& destination_keys();  // [relay] and [relay.domain."D"]
const Keys<RelayConfig>& dkim_keys();
const Keys<Config>& delivery_keys();

// Every key with its section ("listener.limits"), its value in a config as TOML (empty: none
// fixed) and its help, in the order of the tables; the first listener stands for all.
struct KeyInfo {
  std::string section;
  std::string name;
  std::string value;
  std::string doc;
};
void for_each_key(const Config& c, const std::function<void(const KeyInfo&)>& visit);
// ... of Config::defaults().
void for_each_key(const std::function<void(const KeyInfo&)>& visit);
// One listener's keys, sections "listener.<name>" and "listener.<name>.limits".
void for_each_listener_key(const ListenerConfig& l,
                           const std::function<void(const KeyInfo&)>& visit);

// `check-config --defaults`: "section.key = value  # help" per key; "# section.key: help" for a
// key without a fixed default.
void print_defaults(std::ostream& out);

}  // namespace mailactor::app
