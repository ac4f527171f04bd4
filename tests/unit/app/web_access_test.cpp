#include "app/web/access.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace mailactor::app::web {
namespace {

// DNS rebinding (issue 30): a page of evil.example in a local browser resolves its own name to
// 127.0.0.1; its requests carry "Host: evil.example:9125" and must not be answered.
TEST(WebAccess, HostMustBeAnIpLiteralLocalhostOrAConfiguredName) {
  WebAccess a;
  a.host_names = {"mx.example.test"};
  for (const char* ok :
       {"127.0.0.1:9125", "127.0.0.1", "[::1]:9125", "[::1]", "192.0.2.7:80", "localhost:9125",
        "LOCALHOST", "localhost.", "mx.example.test:9125", "MX.Example.Test"})
    EXPECT_TRUE(host_allowed(a, ok)) << ok;
  EXPECT_TRUE(host_allowed(a, nullptr));  // HTTP/1.0 without Host: no browser sends that
  for (const char* bad :
       {"evil.example:9125", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "",
        ":9125", "[::1", "[::1]x", "mx.example.test.evil"})
    EXPECT_FALSE(host_allowed(a, bad)) << bad;
}

TEST(WebAccess, OpenWhenNothingIsRequired) {
  EXPECT_TRUE(authorized({}, nullptr));
  EXPECT_TRUE(authorized({}, "Bearer anything"));
}

TEST(WebAccess, BearerTokenMustMatchExactly) {
  WebAccess a{"s3cret-token", "", true, false, {}};
  EXPECT_TRUE(authorized(a, "Bearer s3cret-token"));
  EXPECT_FALSE(authorized(a, nullptr));
  EXPECT_FALSE(authorized(a, ""));
  EXPECT_FALSE(authorized(a, "Bearer s3cret-toke"));
  EXPECT_FALSE(authorized(a, "Bearer s3cret-tokenX"));
  EXPECT_FALSE(authorized(a, "bearer s3cret-token"));
  EXPECT_FALSE(authorized(a, "Basic OnMzY3JldC10b2tlbg=="));  // ":s3cret-token": no password set
}

TEST(WebAccess, BasicPasswordWithAnyUserName) {
  WebAccess a{"", "pa:ss", true, false, {}};
  EXPECT_TRUE(authorized(a, "Basic b3BzOnBhOnNz"));   // "ops:pa:ss"
  EXPECT_TRUE(authorized(a, "Basic OnBhOnNz"));       // ":pa:ss"
  EXPECT_FALSE(authorized(a, "Basic b3BzOnBhOnM="));  // "ops:pa:s"
  EXPECT_FALSE(authorized(a, "Basic b3Bz"));          // "ops": no colon
  EXPECT_FALSE(authorized(a, "Basic !!!!"));
  EXPECT_FALSE(authorized(a, "Basic "));
  EXPECT_FALSE(authorized(a, "Bearer pa:ss"));  // no token set
}

TEST(WebAccess, SecretFileGivesItsFirstLine) {
  const std::string path = testing::TempDir() + "/mailactor-secret";
  {
    std::ofstream f(path);
    f << "t0ken\r\nsecond line\n";
  }
  EXPECT_EQ(read_secret_file(path), "t0ken");
  {
    std::ofstream f(path);
    f << "\n";
  }
  EXPECT_THROW(read_secret_file(path), std::runtime_error);
  std::remove(path.c_str());
  EXPECT_THROW(read_secret_file(path), std::runtime_error);
}

}  // namespace
}  // namespace mailactor::app::web
