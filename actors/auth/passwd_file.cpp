#include "actors/auth/passwd_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "actors/auth/password_hash.hpp"

namespace mailactor::auth {
namespace {

// Dovecot schemes that are crypt(3) hashes underneath.
bool crypt_scheme(std::string_view s) {
  for (const char* known : {"CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "MD5-CRYPT"})
    if (s == known) return true;
  return false;
}

}  // namespace

PasswdFile PasswdFile::parse(std::string_view text) {
  PasswdFile f;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') {
      if (end == text.size()) break;
      continue;
    }
    auto bad = [&](std::string what) { f.problems_.push_back({line_no, std::move(what)}); };
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      bad("expected user:password");
    } else {
      std::string user(line.substr(0, colon));
      std::string_view rest = line.substr(colon + 1);
      std::string_view password = rest.substr(0, rest.find(':'));
      PasswdEntry e;
      e.user = user;
      if (user.empty()) {
        bad("empty user name");
      } else if (password.empty()) {
        bad("empty password field for " + user);
      } else {
        bool ok = true;
        if (password.front() == '{') {
          size_t close = password.find('}');
          std::string_view scheme =
              close == std::string_view::npos ? password : password.substr(1, close - 1);
          if (close == std::string_view::npos) {
            bad("unterminated {SCHEME} for " + user);
            ok = false;
          } else if (scheme == "PLAIN") {
            e.plain = true;
          } else if (!crypt_scheme(scheme)) {
            bad("unsupported scheme {" + std::string(scheme) + "} for " + user);
            ok = false;
          }
          password.remove_prefix(close == std::string_view::npos ? 0 : close + 1);
        }
        if (ok && !e.plain && (password.empty() || password.front() != '$') &&
            password.size() != 13 /* traditional DES crypt */) {
          bad("password for " + user + " is not a crypt(3) hash (use `mailactor passwd`)");
          ok = false;
        }
        if (ok) {
          e.hash = std::string(password);
          if (!f.entries_.emplace(user, e).second) bad("duplicate user " + user);
        }
      }
    }
    if (end == text.size()) break;
  }
  return f;
}

PasswdFile PasswdFile::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read passwd-file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str());
}

const PasswdEntry* PasswdFile::find(const std::string& user) const {
  auto it = entries_.find(user);
  return it == entries_.end() ? nullptr : &it->second;
}

bool PasswdFile::check(const std::string& user, std::string_view password) const {
  const PasswdEntry* e = find(user);
  if (e == nullptr) {
    // Spend the same work for unknown users, so timing does not reveal who exists.
    static const std::string dummy = hash_password("not a password");
    verify_password(password, dummy);
    return false;
  }
  if (e->plain) return constant_time_equal(e->hash, password);
  return verify_password(password, e->hash);
}

}  // namespace mailactor::auth
