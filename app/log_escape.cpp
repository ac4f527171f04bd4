#include "app/log_escape.hpp"

namespace mailactor::app {
namespace {

void append_hex(unsigned char c, std::string& out) {
  static const char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[c >> 4];
  out += digits[c & 0xf];
}

// The length of the well-formed UTF-8 sequence (RFC 3629) of two or more octets at `s`, or 0.
size_t utf8_sequence(std::string_view s) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (at(i) & 0xc0) == 0x80; };
  const unsigned char c = at(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && at(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && at(1) > 0x9f) return 0;  // a surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && at(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && at(1) > 0x8f) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void append_log_escaped(std::string_view text, std::string& out) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const size_t n = c >= 0x80 ? utf8_sequence(text.substr(i)) : 0;
    // U+0080..U+009F (C2 80..C2 9F) are C1 controls: some terminals obey them as escapes.
    const bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0;
    if (n == 0 || c1) {
      append_hex(c, out);
      ++i;
      continue;
    }
    out.append(text.substr(i, n));
    i += n;
  }
}

std::string log_escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_log_escaped(text, out);
  return out;
}

}  // namespace mailactor::app
