#include "actors/auth/password_hash.hpp"

#include <crypt.h>

#include <memory>
#include <stdexcept>

namespace mailactor::auth {

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

bool verify_password(std::string_view password, const std::string& hash) {
  if (hash.empty() || hash[0] == '*' || hash[0] == '!') return false;  // locked accounts
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return false;
  return constant_time_equal(out, hash);
}

std::string hash_password(std::string_view password, const std::string& prefix) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix.c_str(), 0, nullptr, 0, salt, sizeof salt) == nullptr)
    throw std::runtime_error("crypt_gensalt failed for " + prefix);
  auto data = std::make_unique<crypt_data>();
  std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), salt, data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') throw std::runtime_error("crypt failed");
  return out;
}

}  // namespace mailactor::auth
