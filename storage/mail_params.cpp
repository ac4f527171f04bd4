#include "storage/mail_params.hpp"

namespace mailactor::storage {
namespace {

// Calls f(word) for each space-separated word until it returns true.
template <class F>
bool any_word(const std::string& params, F&& f) {
  size_t at = 0;
  while (at < params.size()) {
    size_t end = params.find(' ', at);
    if (f(params.substr(at, end == std::string::npos ? std::string::npos : end - at))) return true;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return false;
}

}  // namespace

std::string mail_param(const std::string& params, const std::string& key) {
  std::string value;
  any_word(params, [&](const std::string& word) {
    if (word.rfind(key + "=", 0) != 0) return false;
    value = word.substr(key.size() + 1);
    return true;
  });
  return value;
}

bool has_mail_flag(const std::string& params, const std::string& flag) {
  return any_word(params, [&](const std::string& word) { return word == flag; });
}

}  // namespace mailactor::storage
