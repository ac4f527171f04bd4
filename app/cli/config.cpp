// `mailactor config`: the configuration in effect, as `postconf -n` and `postconf KEY` show it.
#include <iostream>
#include <memory>

#include "app/cli/commands.hpp"
#include "app/config_tables.hpp"
#include "app/config_view.hpp"

namespace mailactor::app::cli {
namespace {

struct ConfigOptions {
  std::string config = kDefaultConfig;
  std::vector<std::string> keys;
  bool all = false;
  bool defaults = false;
};

// "key = value  # FILE:LINE" (or "# default" when the file does not set it).
void print_setting(const Setting& s) {
  std::cout << s.key << " = " << (s.value.empty() ? "(none)" : s.value) << "  # "
            << (s.where.empty() ? "default" : s.where) << "\n";
}

// KEY: its value, default, where it is set and its help.
int print_keys(const std::vector<Setting>& settings, const std::vector<std::string>& keys) {
  int status = 0;
  for (const auto& key : keys) {
    bool found = false;
    for (const auto& s : settings) {
      if (s.key != key) continue;
      found = true;
      print_setting(s);
      std::cout << "  default: " << (s.fallback.empty() ? "(none)" : s.fallback) << "\n  " << s.doc
                << "\n";
    }
    if (!found) {
      std::cerr << "mailactor config: no key " << key << " (mailactor check-config --keys)\n";
      status = 1;
    }
  }
  return status;
}

int show(const ConfigOptions& o) {
  if (o.defaults) {
    print_defaults(std::cout);
    return 0;
  }
  try {
    const Config c = load_config(o.config);
    if (!o.keys.empty()) return print_keys(settings_of(c), o.keys);
    for (const auto& s : o.all ? settings_of(c) : changed_settings(c))
      print_setting(s);
    return 0;
  } catch (const std::exception& e) {
    return fail("config", e, 1);
  }
}

}  // namespace

Command add_config(CLI::App& app) {
  auto o = std::make_shared<ConfigOptions>();
  auto* cmd = app.add_subcommand(
      "config",
      "Print the configuration in effect: every value that is not the default, with the file "
      "line that sets it (as postconf -n); KEY...: those keys with their defaults and help.");
  cmd->add_option("--config,-c", o->config, "Configuration file")->capture_default_str();
  cmd->add_option("keys", o->keys, "Keys to show (section.key, listener.<name>.key)");
  cmd->add_flag("--all", o->all, "Every key, not only those that differ from the default");
  cmd->add_flag("--defaults", o->defaults, "Every key with its default and help (no file read)");
  return {cmd, [o] { return show(*o); }};
}

}  // namespace mailactor::app::cli
