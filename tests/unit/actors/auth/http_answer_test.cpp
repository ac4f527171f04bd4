// The http auth backend's protocol: every status and body shape a service may send, and the
// request it gets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "actors/auth/http_answer.hpp"

namespace mailactor::auth {
namespace {

TEST(HttpAuthAnswer, StatusDecides) {
  EXPECT_EQ(interpret_http_auth_answer(200, "").get(), auth_status::ok);
  EXPECT_EQ(interpret_http_auth_answer(200, " \r\n").get(), auth_status::ok);
  EXPECT_EQ(interpret_http_auth_answer(401, "").get(), auth_status::invalid);
  EXPECT_EQ(interpret_http_auth_answer(403, "{\"user\":\"x\"}").get(), auth_status::invalid);
  for (long status : {0L, 204L, 301L, 400L, 404L, 429L, 500L, 503L})
    EXPECT_EQ(interpret_http_auth_answer(status, "").get(), auth_status::temporary_failure)
        << status;
  EXPECT_EQ(interpret_http_auth_answer(503, "").reason, "service answered HTTP 503");
}

TEST(HttpAuthAnswer, CanonicalUserFromTheBody) {
  auto a = interpret_http_auth_answer(200, R"({"user": "alice@example.org", "extra": 1})");
  EXPECT_EQ(a.get(), auth_status::ok);
  EXPECT_EQ(a.canonical_user, "alice@example.org");
  EXPECT_EQ(interpret_http_auth_answer(200, R"({"other": true})").canonical_user, "");
  EXPECT_EQ(interpret_http_auth_answer(200, R"({"user": null})").get(), auth_status::ok);
}

TEST(HttpAuthAnswer, A200ThatMakesNoSenseIsNotALogin) {
  for (const char* body : {"yes", "[1]", "\"alice\"", "{\"user\": 5}", "{\"user\": \"\"}",
                           "{\"user\": \"two words\"}", "{\"user\": \"a\\nb\"}", "{\"user\": "})
    EXPECT_EQ(interpret_http_auth_answer(200, body).get(), auth_status::temporary_failure) << body;
  std::string huge = "{\"user\": \"" + std::string(300, 'a') + "\"}";
  EXPECT_EQ(interpret_http_auth_answer(200, huge).get(), auth_status::temporary_failure);
  std::string too_long(kMaxHttpAuthAnswer + 1, ' ');
  EXPECT_EQ(interpret_http_auth_answer(200, too_long).get(), auth_status::temporary_failure);
}

TEST(HttpAuthRequest, CarriesEveryFieldAsJson) {
  auth_request r{"PLAIN", "", "alice", "p\"w\\\xff", "192.0.2.7", "submission", true};
  auto j = nlohmann::json::parse(http_auth_request_body(r));
  EXPECT_EQ(j["user"], "alice");
  EXPECT_EQ(j["password"], "p\"w\\\xef\xbf\xbd") << "invalid UTF-8 replaced, quotes escaped";
  EXPECT_EQ(j["authzid"], "");
  EXPECT_EQ(j["mechanism"], "PLAIN");
  EXPECT_EQ(j["client"], "192.0.2.7");
  EXPECT_EQ(j["listener"], "submission");
  EXPECT_EQ(j["tls"], true);
}

}  // namespace
}  // namespace mailactor::auth
