#include "protocol/address.hpp"

#include <algorithm>
#include <cctype>

namespace mailactor::protocol {
namespace {

bool is_alpha(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_let_dig(unsigned char c, bool utf8) {
  return is_alpha(c) || is_digit(c) || (utf8 && c >= 0x80);
}

// RFC 5322 atext, plus UTF8-non-ascii under RFC 6531.
bool is_atext(unsigned char c, bool utf8) {
  if (is_alpha(c) || is_digit(c)) return true;
  if (c >= 0x80) return utf8;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_dot_string(std::string_view s, bool utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!is_atext(c, utf8)) {
      return false;
    }
  }
  return true;
}

bool is_quoted_string(std::string_view s, bool utf8) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '\\') {
      if (i + 2 >= s.size()) return false;  // the escape would eat the closing quote
      unsigned char n = s[++i];
      if (n < 32 || n > 126) return false;
    } else if (c >= 0x80) {
      if (!utf8) return false;
    } else if (c < 32 || c > 126 || c == '"') {
      return false;
    }
  }
  return true;
}

// The content of a valid quoted string with its quoted pairs resolved.
std::string unquote(std::string_view quoted) {
  std::string out;
  for (size_t i = 1; i + 1 < quoted.size(); ++i) {
    if (quoted[i] == '\\') ++i;
    out += quoted[i];
  }
  return out;
}

bool is_ipv4(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = i;
    while (j < s.size() && is_digit(s[j]))
      ++j;
    if (j == i || j - i > 3) return false;
    if (std::stoi(std::string(s.substr(i, j - i))) > 255) return false;
    ++parts;
    if (j == s.size()) break;
    if (s[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool is_hex(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 5321 IPv6-addr: full, compressed ("::" once) and with a trailing IPv4 part.
bool is_ipv6(std::string_view s) {
  if (s.empty()) return false;
  size_t dcolon = s.find("::");
  if (dcolon != std::string_view::npos && s.find("::", dcolon + 1) != std::string_view::npos)
    return false;
  int groups = 0;
  bool v4_tail = false;
  auto count_side = [&](std::string_view side, bool last_side) -> bool {
    if (side.empty()) return true;
    size_t i = 0;
    while (true) {
      size_t j = side.find(':', i);
      std::string_view g = side.substr(i, j == std::string_view::npos ? side.npos : j - i);
      bool is_last = j == std::string_view::npos;
      if (is_last && last_side && g.find('.') != std::string_view::npos) {
        if (!is_ipv4(g)) return false;
        groups += 2;
        v4_tail = true;
        return true;
      }
      if (g.empty() || g.size() > 4) return false;
      for (unsigned char c : g)
        if (!is_hex(c)) return false;
      ++groups;
      if (is_last) return true;
      i = j + 1;
    }
  };
  if (dcolon == std::string_view::npos) return count_side(s, true) && groups == 8;
  if (!count_side(s.substr(0, dcolon), false)) return false;
  if (!count_side(s.substr(dcolon + 2), true)) return false;
  (void)v4_tail;
  return groups <= 7;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Reject overlong forms, surrogates and values past Unicode.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += len;
  }
  return true;
}

bool is_domain(std::string_view s, bool utf8) {
  if (s.empty() || s.size() > kMaxDomain) return false;
  size_t i = 0;
  while (true) {
    size_t j = s.find('.', i);
    std::string_view label = s.substr(i, j == std::string_view::npos ? s.npos : j - i);
    if (label.empty() || label.size() > 63) return false;
    if (!is_let_dig(label.front(), utf8) || !is_let_dig(label.back(), utf8)) return false;
    for (unsigned char c : label)
      if (!is_let_dig(c, utf8) && c != '-') return false;
    if (j == std::string_view::npos) return true;
    i = j + 1;
  }
}

bool is_address_literal(std::string_view s) {
  if (s.size() < 3 || s.front() != '[' || s.back() != ']') return false;
  std::string_view inner = s.substr(1, s.size() - 2);
  if (is_ipv4(inner)) return true;
  size_t colon = inner.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view tag = inner.substr(0, colon);
  std::string_view content = inner.substr(colon + 1);
  if (iequals(tag, "IPv6")) return is_ipv6(content);
  // General-address-literal: Standardized-tag ":" 1*dcontent (RFC 5321 §4.1.3).
  for (unsigned char c : tag)
    if (!is_alpha(c) && !is_digit(c) && c != '-') return false;
  if (tag.back() == '-' || content.empty()) return false;
  for (unsigned char c : content)
    if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\') return false;
  return true;
}

bool is_ehlo_argument(std::string_view s) {
  if (s.empty() || s.size() > kMaxDomain) return false;
  if (s.front() == '[') return is_address_literal(s);
  // Accept what real clients send (underscores in Windows host names, a trailing dot) but
  // nothing that could not be a host name at all.
  for (unsigned char c : s)
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' && c != '_') return false;
  if (s.find("..") != std::string_view::npos || s.front() == '.') return false;
  // No label starts or ends with a hyphen (RFC 1123 §2.1).
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '-' && (i == 0 || s[i - 1] == '.' || i + 1 == s.size() || s[i + 1] == '.'))
      return false;
  return true;
}

std::string Path::address() const {
  if (null) return {};
  if (domain.empty()) return local;
  return local + "@" + domain;
}

PathParse parse_path(std::string_view s, bool allow_null, bool allow_postmaster, bool utf8) {
  PathParse r;
  auto fail = [&](PathError e) {
    r.error = e;
    return r;
  };
  if (s.size() < 2 || s.front() != '<' || s.back() != '>') return fail(PathError::syntax);
  if (s.size() > kMaxPath) return fail(PathError::too_long);
  bool has_8bit =
      std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  if (has_8bit && !utf8) return fail(PathError::utf8_forbidden);
  if (has_8bit && !is_valid_utf8(s)) return fail(PathError::syntax);
  std::string_view inner = s.substr(1, s.size() - 2);
  if (inner.empty()) {
    if (!allow_null) return fail(PathError::syntax);
    r.path.null = true;
    return r;
  }
  // A-d-l ":" — source routes are obsolete: check their syntax, then drop them (§4.1.2, §C).
  if (inner.front() == '@') {
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return fail(PathError::syntax);
    std::string_view adl = inner.substr(0, colon);
    size_t i = 0;
    while (i < adl.size()) {
      size_t comma = adl.find(',', i);
      std::string_view at_domain =
          adl.substr(i, comma == std::string_view::npos ? adl.npos : comma - i);
      if (at_domain.size() < 2 || at_domain.front() != '@' || !is_domain(at_domain.substr(1), utf8))
        return fail(PathError::syntax);
      if (comma == std::string_view::npos) break;
      i = comma + 1;
    }
    inner = inner.substr(colon + 1);
  }
  if (allow_postmaster && iequals(inner, "postmaster")) {
    r.path.local = std::string(inner);
    return r;
  }
  // The local part ends at the last '@' outside a quoted string.
  size_t at = std::string_view::npos;
  if (!inner.empty() && inner.front() == '"') {
    size_t i = 1;
    while (i < inner.size() && inner[i] != '"')
      i += (inner[i] == '\\') ? 2 : 1;
    if (i >= inner.size()) return fail(PathError::syntax);
    at = i + 1;
    if (at >= inner.size() || inner[at] != '@') return fail(PathError::syntax);
  } else {
    at = inner.find('@');
    if (at == std::string_view::npos) return fail(PathError::syntax);
  }
  std::string_view local = inner.substr(0, at);
  std::string_view domain = inner.substr(at + 1);
  if (local.empty() || domain.empty()) return fail(PathError::syntax);
  bool local_ok = local.front() == '"' ? is_quoted_string(local, utf8) : is_dot_string(local, utf8);
  if (!local_ok) return fail(PathError::syntax);
  bool domain_ok = domain.front() == '[' ? is_address_literal(domain) : is_domain(domain, utf8);
  if (!domain_ok) return fail(PathError::syntax);
  if (local.size() > kMaxLocalPart || domain.size() > kMaxDomain) return fail(PathError::too_long);
  r.path.local = canonical_local_part(local, utf8);
  r.path.domain = std::string(domain);
  return r;
}

std::string canonical_local_part(std::string_view local, bool utf8) {
  if (local.empty() || local.front() != '"') return std::string(local);
  std::string inner = unquote(local);
  return is_dot_string(inner, utf8) ? inner : std::string(local);
}

PathArgument split_path_argument(std::string_view arg, std::string_view prefix) {
  PathArgument r;
  if (arg.size() < prefix.size() || !iequals(arg.substr(0, prefix.size()), prefix)) return r;
  std::string_view rest = arg.substr(prefix.size());
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // "MAIL FROM: <a@b>"
  if (rest.empty() || rest.front() != '<') return r;
  // The path ends at the first '>' outside a quoted string.
  size_t i = 1;
  bool quoted = false;
  for (; i < rest.size(); ++i) {
    char c = rest[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == '>') {
      break;
    }
  }
  if (i >= rest.size()) return r;
  r.path = rest.substr(0, i + 1);
  std::string_view params = rest.substr(i + 1);
  r.ok = true;
  if (params.empty()) return r;
  if (params.front() != ' ') {
    r.ok = false;
    return r;
  }
  size_t p = 0;
  while (p < params.size()) {
    while (p < params.size() && params[p] == ' ')
      ++p;
    if (p >= params.size()) break;
    size_t end = params.find(' ', p);
    std::string_view token =
        params.substr(p, end == std::string_view::npos ? params.npos : end - p);
    p = end == std::string_view::npos ? params.size() : end;
    size_t eq = token.find('=');
    std::string_view key = token.substr(0, eq);
    EsmtpParam param;
    // esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    if (key.empty() || !(is_alpha(key[0]) || is_digit(key[0]))) r.params_ok = false;
    for (unsigned char c : key) {
      if (!is_alpha(c) && !is_digit(c) && c != '-') r.params_ok = false;
      param.keyword += static_cast<char>(std::toupper(c));
    }
    if (eq != std::string_view::npos) {
      std::string_view value = token.substr(eq + 1);
      // esmtp-value = 1*(%d33-60 / %d62-126)
      if (value.empty()) r.params_ok = false;
      for (unsigned char c : value)
        if (c < 33 || c > 126 || c == '=') r.params_ok = false;
      param.value = std::string(value);
    }
    for (const auto& seen : r.params)
      if (seen.keyword == param.keyword) r.params_ok = false;
    r.params.push_back(std::move(param));
  }
  return r;
}

bool is_xtext(std::string_view text) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      if (i + 2 >= text.size() || !hex(text[i + 1]) || !hex(text[i + 2])) return false;
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

std::string decode_xtext(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace mailactor::protocol
