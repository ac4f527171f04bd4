// spdlog set-up shared by the commands: stderr by default, a file when configured.
#pragma once

#include <string>

namespace mailactor::app {

// Throws std::runtime_error when the log file cannot be opened.
void setup_logging(const std::string& level, const std::string& file);

}  // namespace mailactor::app
