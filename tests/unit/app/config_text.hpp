// Config tests: load a config from TOML text through the real file loader.
#pragma once

#include <fstream>
#include <string>

#include "../storage/temp_dir.hpp"
#include "app/config.hpp"

namespace mailactor::app {

inline Config load_config_text(const std::string& text) {
  testing::TempDir dir;
  std::string path = dir / "mailactor.toml";
  std::ofstream(path) << text;
  return load_config(path);
}

}  // namespace mailactor::app
