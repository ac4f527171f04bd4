// Dovecot-compatible passwd-file: "user:password[:uid:gid:gecos:home:shell:extra]" per line,
// '#' comments and blank lines ignored. The password is a crypt(3) hash, optionally with a
// Dovecot scheme prefix ({CRYPT}, {SHA512-CRYPT}, {SHA256-CRYPT}, {BLF-CRYPT}, {MD5-CRYPT}), or
// {PLAIN}text. Plain C++, no CAF.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mailactor::auth {

struct PasswdEntry {
  std::string user;
  std::string hash;    // crypt(3) hash, prefix stripped
  bool plain = false;  // {PLAIN}: hash holds the password itself
};

struct PasswdProblem {
  size_t line;
  std::string what;
};

class PasswdFile {
 public:
  // Parses text; bad lines are skipped and reported in problems().
  static PasswdFile parse(std::string_view text);
  // Reads and parses a file; throws std::runtime_error when it cannot be read.
  static PasswdFile load(const std::string& path);

  // The user's entry, or nullptr.
  const PasswdEntry* find(const std::string& user) const;
  bool check(const std::string& user, std::string_view password) const;
  size_t size() const { return entries_.size(); }
  const std::unordered_map<std::string, PasswdEntry>& entries() const { return entries_; }
  const std::vector<PasswdProblem>& problems() const { return problems_; }

 private:
  std::unordered_map<std::string, PasswdEntry> entries_;
  std::vector<PasswdProblem> problems_;
};

}  // namespace mailactor::auth
