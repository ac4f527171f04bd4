// Debian 12's toml++ 3.3 reaches __builtin_unreachable() — undefined behaviour — on some
// non-ASCII characters where the parser looks for whitespace (marzer/tomlplusplus#190, #295,
// found again by our fuzz_config). TOML allows non-ASCII only inside strings and comments, so
// the config text is checked for that before toml++ sees it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailactor::app {

struct TomlTextProblem {
  size_t line;
  std::string what;
};

// A non-ASCII byte outside strings and comments, or right after a line-ending backslash in a
// multi-line basic string; nullopt when the text is safe to hand to toml++.
std::optional<TomlTextProblem> unsafe_toml_text(std::string_view text);

}  // namespace mailactor::app
