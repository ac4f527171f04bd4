#include "app/web/access.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <arpa/inet.h>
#include <strings.h>

#include <fstream>
#include <stdexcept>
#include <string_view>

namespace mailactor::app::web {
namespace {

// Equal in time independent of where the strings differ (no timing oracle for the secret).
bool same_secret(std::string_view given, const std::string& secret) {
  return !secret.empty() && given.size() == secret.size() &&
         CRYPTO_memcmp(given.data(), secret.data(), secret.size()) == 0;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// "user:password" from base64; empty when it does not decode.
std::string decode_basic(std::string_view encoded) {
  if (encoded.empty() || encoded.size() % 4 != 0 || encoded.size() > 1024) return {};
  std::string out(encoded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(encoded.data()),
                          static_cast<int>(encoded.size()));
  if (n < 0) return {};
  size_t padding = 0;
  for (size_t i = encoded.size(); i > 0 && encoded[i - 1] == '='; --i)
    ++padding;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(padding, 2));
  return out;
}

// "name:port" -> "name", "[v6]:port" -> "v6"; "" when it is not a host with an optional
// numeric port.
std::string host_part(std::string_view host) {
  size_t name_end = host.find(':');
  std::string_view name = host.substr(0, name_end);
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return {};
    name = host.substr(1, close - 1);
    name_end = close + 1;
    if (name_end < host.size() && host[name_end] != ':') return {};
  }
  if (name_end < host.size()) {
    std::string_view port = host.substr(name_end + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos)
      return {};
  }
  return std::string(name);
}

bool is_ip_literal(const std::string& h) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

bool host_allowed(const WebAccess& access, const char* host) {
  if (!host) return true;
  std::string name = host_part(host);
  if (!name.empty() && name.back() == '.') name.pop_back();  // "localhost." is localhost
  if (name.empty()) return false;
  if (is_ip_literal(name) || strcasecmp(name.c_str(), "localhost") == 0) return true;
  for (const auto& allowed : access.host_names)
    if (strcasecmp(name.c_str(), allowed.c_str()) == 0) return true;
  return false;
}

bool authorized(const WebAccess& access, const char* authorization) {
  if (!access.required) return true;
  if (!authorization) return false;
  std::string_view header(authorization);
  if (starts_with(header, "Bearer ")) return same_secret(header.substr(7), access.token);
  if (starts_with(header, "Basic ")) {
    std::string pair = decode_basic(header.substr(6));
    auto colon = pair.find(':');
    return colon != std::string::npos &&
           same_secret(std::string_view(pair).substr(colon + 1), access.password);
  }
  return false;
}

std::string read_secret_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error(path + ": cannot read");
  std::string line;
  std::getline(f, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw std::runtime_error(path + ": the first line (the secret) is empty");
  return line;
}

}  // namespace mailactor::app::web
