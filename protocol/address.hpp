// RFC 5321 §4.1.2 path syntax (with RFC 6531 SMTPUTF8) and ESMTP parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailactor::protocol {

inline constexpr size_t kMaxLocalPart = 64;
inline constexpr size_t kMaxDomain = 255;
inline constexpr size_t kMaxPath = 256;

enum class PathError {
  none,
  syntax,          // not a path at all, or a bad character
  too_long,        // a length limit of RFC 5321 §4.5.3.1 exceeded
  utf8_forbidden,  // non-ASCII without the SMTPUTF8 parameter
};

struct Path {
  bool null = false;            // the null reverse-path "<>"
  std::string local;            // canonical_local_part of what was written
  std::string domain;           // domain or address literal; empty only for <Postmaster>
  std::string address() const;  // "local@domain", "Postmaster" or "" for the null path
};

struct PathParse {
  PathError error = PathError::none;
  Path path;
};

// Parses "<...>" exactly (no surrounding text). Source routes are accepted and dropped.
PathParse parse_path(std::string_view text, bool allow_null, bool allow_postmaster, bool utf8);

// RFC 5321 §4.1.2: a quoted local part that needs no quoting ("alice") is the same as its
// dot-string (alice): that form; any other local part (one that needs its quotes) as written.
std::string canonical_local_part(std::string_view local, bool utf8);

bool is_domain(std::string_view text, bool utf8);
bool is_address_literal(std::string_view text);  // with the brackets
bool is_ehlo_argument(std::string_view text);
bool is_valid_utf8(std::string_view text);

// RFC 3461 §4: xtext ('+' and two upper-case hex digits for what may not appear as itself).
bool is_xtext(std::string_view text);
std::string decode_xtext(std::string_view text);  // of valid xtext

struct EsmtpParam {
  std::string keyword;  // upper-cased
  std::optional<std::string> value;
};

// "FROM:<path> params" / "TO:<path> params" split into path text and parameters.
struct PathArgument {
  bool ok = false;        // the "FROM:"/"TO:" prefix and a bracketed path were found
  std::string_view path;  // "<...>"
  std::vector<EsmtpParam> params;
  bool params_ok = true;  // false: malformed or duplicated parameter
};
PathArgument split_path_argument(std::string_view arg, std::string_view prefix);

}  // namespace mailactor::protocol
