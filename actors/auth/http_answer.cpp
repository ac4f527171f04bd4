#include "actors/auth/http_answer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace mailactor::auth {
namespace {

// A name that is safe in logs and headers: printable, no spaces, at most 255 bytes.
bool plausible_user(const std::string& u) {
  return !u.empty() && u.size() <= 255 &&
         std::all_of(u.begin(), u.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string http_auth_request_body(const auth_request& r) {
  nlohmann::json j = {{"user", r.user},
                      {"password", r.secret},
                      {"authzid", r.authzid},
                      {"mechanism", r.mechanism},
                      {"client", r.client_addr},
                      {"listener", r.listener},
                      {"tls", r.tls}};
  // Credentials are arbitrary bytes: invalid UTF-8 is replaced rather than refused.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

auth_result interpret_http_auth_answer(long status, std::string_view body) {
  using R = auth_result;
  if (status == 401 || status == 403) return R::invalid("service said " + std::to_string(status));
  if (status != 200) return R::temporary_failure("service answered HTTP " + std::to_string(status));
  if (body.size() > kMaxHttpAuthAnswer) return R::temporary_failure("answer too long");
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return R::ok();
  auto j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return R::temporary_failure("200 with a body that is not a JSON object");
  auto user = j.find("user");
  if (user == j.end() || user->is_null()) return R::ok();
  if (!user->is_string() || !plausible_user(user->get<std::string>()))
    return R::temporary_failure("200 with an unusable \"user\"");
  return R::ok(user->get<std::string>());
}

}  // namespace mailactor::auth
