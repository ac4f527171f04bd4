#include "app/toml_guard.hpp"

#include <cstdio>

namespace mailactor::app {
namespace {

// The code points for which toml++ 3.3's is_non_ascii_horizontal_whitespace() reaches its
// unreachable default (child blocks 0, 11 and 63 of its lookup, minus the real whitespace).
bool unsafe_code_point(char32_t c) {
  return (c >= 0xA1 && c < 0x49A) || (c >= 0x2C5E && c < 0x3058 && c != 0x3000) ||
         (c >= 0xFB56 && c < 0xFEFF);
}

// The code point of the UTF-8 sequence at t[i] (and its length); U+FFFD for a malformed one.
char32_t decode_utf8(std::string_view t, size_t i, size_t& len) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(t[i + k]); };
  const unsigned char lead = b(0);
  len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (len == 1 || i + len > t.size()) {
    len = 1;
    return 0xFFFD;
  }
  char32_t c = lead & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) {
      len = 1;
      return 0xFFFD;
    }
    c = (c << 6) | (b(k) & 0x3F);
  }
  return c;
}

std::string code_point_name(char32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

}  // namespace

std::optional<TomlTextProblem> unsafe_toml_text(std::string_view t) {
  enum class In { code, comment, basic, literal, ml_basic, ml_literal } in = In::code;
  size_t line = 1;
  auto starts = [&](size_t i, std::string_view s) { return t.compare(i, s.size(), s) == 0; };
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      ++line;
      if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
      continue;
    }
    if ((u < 0x20 && c != '\t' && c != '\r') || u == 0x7F)
      return TomlTextProblem{line, "control character " + code_point_name(u)};
    if (u >= 0x80) {
      if (in == In::code)
        return TomlTextProblem{line, "non-ASCII character outside a string or comment"};
      size_t len = 1;
      char32_t cp = decode_utf8(t, i, len);
      if (in != In::comment && unsafe_code_point(cp))
        return TomlTextProblem{line, "character " + code_point_name(cp) +
                                         " in a string: toml++ 3.3 cannot parse it safely; "
                                         "write it as \\u" +
                                         code_point_name(cp).substr(2) + " in a \"basic\" string"};
      i += len - 1;
      continue;
    }
    switch (in) {
      case In::code:
        if (c == '#') {
          in = In::comment;
        } else if (starts(i, "\"\"\"")) {
          in = In::ml_basic;
          i += 2;
        } else if (starts(i, "'''")) {
          in = In::ml_literal;
          i += 2;
        } else if (c == '"') {
          in = In::basic;
        } else if (c == '\'') {
          in = In::literal;
        }
        break;
      case In::comment:
        break;
      case In::basic:
      case In::ml_basic:
        if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n') {
          ++i;  // an escape (a line-ending backslash leaves the newline to be counted)
        } else if (in == In::basic && c == '"') {
          in = In::code;
        } else if (in == In::ml_basic && starts(i, "\"\"\"")) {
          in = In::code;
          i += 2;
          while (i + 1 < t.size() && t[i + 1] == '"')  // up to two quotes end the content
            ++i;
        }
        break;
      case In::literal:
        if (c == '\'') in = In::code;
        break;
      case In::ml_literal:
        if (starts(i, "'''")) {
          in = In::code;
          i += 2;
          while (i + 1 < t.size() && t[i + 1] == '\'')
            ++i;
        }
        break;
    }
  }
  return std::nullopt;
}

}  // namespace mailactor::app
