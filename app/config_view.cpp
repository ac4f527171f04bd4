#include "app/config_view.hpp"

#include "app/config_tables.hpp"

namespace mailactor::app {
namespace {

std::vector<KeyInfo> keys_of(const Config& c) {
  std::vector<KeyInfo> keys;
  for_each_key(c, [&](const KeyInfo& k) {
    if (k.section != "listener" && k.section != "listener.limits") keys.push_back(k);
  });
  return keys;
}

std::vector<KeyInfo> listener_keys_of(const ListenerConfig& l) {
  std::vector<KeyInfo> keys;
  for_each_listener_key(l, [&](const KeyInfo& k) { keys.push_back(k); });
  return keys;
}

// `keys` of the config beside the same keys of `defaults` (the same tables, the same order).
void add_settings(std::vector<Setting>& out, const Config& c, const std::vector<KeyInfo>& keys,
                  const std::vector<KeyInfo>& defaults) {
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    std::string key = k.section + "." + k.name;
    auto line = c.lines.find(key);
    std::string where = line == c.lines.end() ? "" : c.source + ":" + std::to_string(line->second);
    out.push_back({key, k.value, i < defaults.size() ? defaults[i].value : "", where, k.doc});
  }
}

}  // namespace

std::vector<Setting> settings_of(const Config& c) {
  const Config defaults = Config::defaults();
  std::vector<Setting> out;
  add_settings(out, c, keys_of(c), keys_of(defaults));
  for (const auto& l : c.listeners) {
    ListenerConfig fresh;  // a listener of that name with its own keys at their defaults
    fresh.name = l.name;
    fresh.limits = listener_limits(c.limits);  // its limits start from [limits]
    add_settings(out, c, listener_keys_of(l), listener_keys_of(fresh));
  }
  return out;
}

std::vector<Setting> changed_settings(const Config& c) {
  std::vector<Setting> out;
  for (auto& s : settings_of(c))
    if (s.value != s.fallback) out.push_back(std::move(s));
  return out;
}

}  // namespace mailactor::app
