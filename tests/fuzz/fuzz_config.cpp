// libFuzzer target: the TOML config loader. Any input is either a config or a ConfigError (or
// another std::exception with a message); nothing else escapes and nothing crashes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path =
      "/tmp/mailactor-fuzz-config-" + std::to_string(getpid()) + ".toml";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto c = mailactor::app::load_config(path);
    if (c.listeners.empty()) std::abort();
    for (const auto& l : c.listeners)
      (void)mailactor::app::split_host_port(l.listen);
  } catch (const mailactor::app::ConfigError& e) {
    if (std::string(e.what()).empty()) std::abort();
  } catch (const std::exception& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
