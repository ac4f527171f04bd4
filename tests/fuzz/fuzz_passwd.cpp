// libFuzzer target: the Dovecot-style passwd-file parser. Every line is either an entry or a
// reported problem; no entry has an empty user or hash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "actors/auth/passwd_file.hpp"

using namespace mailactor::auth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  PasswdFile f = PasswdFile::parse(text);
  for (const auto& p : f.problems())
    if (p.line == 0 || p.what.empty()) std::abort();
  size_t lines = 1;
  for (char c : text)
    lines += c == '\n';
  if (f.size() + f.problems().size() > lines) std::abort();
  // Look-ups of the first line's user name never crash, whatever the hash looks like.
  std::string first(text.substr(0, text.find(':')));
  if (const PasswdEntry* e = f.find(first)) {
    if (e->user.empty()) std::abort();
    (void)f.check(first, "secret");
  }
  return 0;
}
