// `mailactor config`: the configuration in effect, key by key, as Postfix's `postconf -n` and
// `postconf KEY` show it: each value, its default and the file line that sets it.
#pragma once

#include <string>
#include <vector>

#include "app/config.hpp"

namespace mailactor::app {

struct Setting {
  std::string key;       // "spool.directory", "listener.<name>.mode"
  std::string value;     // as TOML; empty: no fixed value
  std::string fallback;  // the default, as TOML
  std::string where;     // "FILE:LINE" when the file sets it, else empty
  std::string doc;
};

// Every key of `c`, in the order of the key tables (each listener's keys after [server]).
std::vector<Setting> settings_of(const Config& c);
// Those whose value is not the default (a key the file sets to its default is left out too).
std::vector<Setting> changed_settings(const Config& c);

}  // namespace mailactor::app
