// Config tests: load a config from TOML text through the real file loader.
#pragma once

#include <fstream>
#include <string>

#include "app/config.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::app {

inline Config load_config_text(const std::string& text) {
  testing::TempDir dir;
  std::string path = dir / "mailactor.toml";
  std::ofstream(path) << text;
  return load_config(path);
}

}  // namespace mailactor::app
