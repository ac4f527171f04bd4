#include "actors/auth/http_answer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace mailactor::auth {
namespace {

using Kind = HttpAuthAnswer::Kind;

HttpAuthAnswer temporary(std::string reason) {
  return {Kind::temporary_failure, {}, std::move(reason)};
}

// A name that is safe in logs and headers: printable, no spaces, at most 255 bytes.
bool plausible_user(const std::string& u) {
  return !u.empty() && u.size() <= 255 &&
         std::all_of(u.begin(), u.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string http_auth_request_body(const HttpCredentials& c) {
  nlohmann::json j = {{"user", c.user},       {"password", c.password},
                      {"authzid", c.authzid}, {"mechanism", c.mechanism},
                      {"client", c.client},   {"listener", c.listener},
                      {"tls", c.tls}};
  // Credentials are arbitrary bytes: invalid UTF-8 is replaced rather than refused.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpAuthAnswer interpret_http_auth_answer(long status, std::string_view body) {
  if (status == 401 || status == 403)
    return {Kind::invalid, {}, "service said " + std::to_string(status)};
  if (status != 200) return temporary("service answered HTTP " + std::to_string(status));
  if (body.size() > kMaxHttpAuthAnswer) return temporary("answer too long");
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return {Kind::ok, {}, {}};
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return temporary("200 with a body that is not a JSON object");
  auto user = j.find("user");
  if (user == j.end() || user->is_null()) return {Kind::ok, {}, {}};
  if (!user->is_string() || !plausible_user(user->get<std::string>()))
    return temporary("200 with an unusable \"user\"");
  return {Kind::ok, user->get<std::string>(), {}};
}

}  // namespace mailactor::auth
