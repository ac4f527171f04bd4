#include <gtest/gtest.h>

#include "protocol/address.hpp"

namespace mailactor::protocol {
namespace {

struct PathCase {
  std::string text;
  PathError error;
  std::string address;
};

class ParsePath : public ::testing::TestWithParam<PathCase> {};
TEST_P(ParsePath, AsRfc5321Says) {
  const auto& c = GetParam();
  PathParse p = parse_path(c.text, true, true, false);
  EXPECT_EQ(p.error, c.error) << c.text;
  if (c.error == PathError::none) {
    EXPECT_EQ(p.path.address(), c.address);
  }
}

const std::string k64(64, 'l');
const std::string k65(65, 'l');

INSTANTIATE_TEST_SUITE_P(
    Cases, ParsePath,
    ::testing::Values(
        PathCase{"<user@example.com>", PathError::none, "user@example.com"},
        PathCase{"<first.last+tag@sub.example.co>", PathError::none,
                 "first.last+tag@sub.example.co"},
        PathCase{"<!#$%&'*+-/=?^_`{|}~@example.com>", PathError::none,
                 "!#$%&'*+-/=?^_`{|}~@example.com"},
        PathCase{"<\"john doe\"@example.com>", PathError::none, "\"john doe\"@example.com"},
        PathCase{"<\"a\\\"b@c\"@example.com>", PathError::none, "\"a\\\"b@c\"@example.com"},
        PathCase{"<user@[192.0.2.1]>", PathError::none, "user@[192.0.2.1]"},
        PathCase{"<user@[IPv6:2001:db8::1]>", PathError::none, "user@[IPv6:2001:db8::1]"},
        PathCase{"<user@[IPv6:2001:db8:0:0:0:0:0:1]>", PathError::none,
                 "user@[IPv6:2001:db8:0:0:0:0:0:1]"},
        PathCase{"<user@[IPv6:::ffff:192.0.2.1]>", PathError::none, "user@[IPv6:::ffff:192.0.2.1]"},
        PathCase{"<@a.example,@b.example:user@c.example>", PathError::none, "user@c.example"},
        PathCase{"<Postmaster>", PathError::none, "Postmaster"},
        PathCase{"<postmaster>", PathError::none, "postmaster"},
        PathCase{"<>", PathError::none, ""},
        PathCase{"<" + k64 + "@example.com>", PathError::none, k64 + "@example.com"},
        PathCase{"<" + k65 + "@example.com>", PathError::too_long, ""},
        PathCase{"<a@" + std::string(250, 'd') + ".com>", PathError::too_long, ""},
        PathCase{"user@example.com", PathError::syntax, ""},
        PathCase{"<user@example.com", PathError::syntax, ""},
        PathCase{"<user>", PathError::syntax, ""},
        PathCase{"<@example.com>", PathError::syntax, ""},
        PathCase{"<user@>", PathError::syntax, ""},
        PathCase{"<.user@example.com>", PathError::syntax, ""},
        PathCase{"<user.@example.com>", PathError::syntax, ""},
        PathCase{"<us..er@example.com>", PathError::syntax, ""},
        PathCase{"<us er@example.com>", PathError::syntax, ""},
        PathCase{"<user@exa mple.com>", PathError::syntax, ""},
        PathCase{"<user@-example.com>", PathError::syntax, ""},
        PathCase{"<user@example-.com>", PathError::syntax, ""},
        PathCase{"<user@example..com>", PathError::syntax, ""},
        PathCase{"<user@example.com.>", PathError::syntax, ""},
        PathCase{"<user@[300.0.0.1]>", PathError::syntax, ""},
        PathCase{"<user@[1.2.3]>", PathError::syntax, ""},
        PathCase{"<user@[IPv6:1::2::3]>", PathError::syntax, ""},
        PathCase{"<user@[IPv6:12345::]>", PathError::syntax, ""},
        PathCase{"<a@b@example.com>", PathError::syntax, ""},
        PathCase{"<\"unterminated@example.com>", PathError::syntax, ""},
        PathCase{"<@bad_route:user@example.com>", PathError::syntax, ""},
        PathCase{"<us\xc3\xa9r@example.com>", PathError::utf8_forbidden, ""}));

TEST(ParsePathUtf8, AllowedWithSmtpUtf8) {
  auto p = parse_path("<us\xc3\xa9r@\xc3\xa9xample.com>", false, false, true);
  EXPECT_EQ(p.error, PathError::none);
  EXPECT_EQ(parse_path("<us\xc3r@example.com>", false, false, true).error, PathError::syntax);
  EXPECT_EQ(parse_path("<us\xed\xa0\x80r@example.com>", false, false, true).error,
            PathError::syntax)
      << "surrogates are not UTF-8";
  EXPECT_EQ(parse_path("<\xc0\xafr@example.com>", false, false, true).error, PathError::syntax)
      << "overlong";
}

TEST(ParsePathFlags, NullAndPostmasterOnlyWhereAllowed) {
  EXPECT_EQ(parse_path("<>", false, true, false).error, PathError::syntax);
  EXPECT_EQ(parse_path("<Postmaster>", true, false, false).error, PathError::syntax);
}

TEST(PathLimit, WholePathAt256) {
  std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(63, 'c') + "." + std::string(61, 'd');
  std::string path = "<" + std::string(64, 'l') + "@" + domain + ">";
  EXPECT_GT(path.size(), kMaxPath);
  EXPECT_EQ(parse_path(path, false, false, false).error, PathError::too_long);
}

TEST(EhloArgument, Accepts) {
  EXPECT_TRUE(is_ehlo_argument("mail.example.com"));
  EXPECT_TRUE(is_ehlo_argument("localhost"));
  EXPECT_TRUE(is_ehlo_argument("[127.0.0.1]"));
  EXPECT_TRUE(is_ehlo_argument("[IPv6:::1]"));
  EXPECT_FALSE(is_ehlo_argument(""));
  EXPECT_FALSE(is_ehlo_argument("a b"));
  EXPECT_FALSE(is_ehlo_argument("a..b"));
  EXPECT_FALSE(is_ehlo_argument("[1.2.3.4"));
  EXPECT_FALSE(is_ehlo_argument("host<script>"));
  EXPECT_TRUE(is_ehlo_argument("my_pc.local."));  // what Windows clients send
  EXPECT_TRUE(is_ehlo_argument("a-b.example"));
  EXPECT_FALSE(is_ehlo_argument("-x.example"));
  EXPECT_FALSE(is_ehlo_argument("x-.example"));
  EXPECT_FALSE(is_ehlo_argument("a.-b.example"));
  EXPECT_FALSE(is_ehlo_argument("a.example-"));
}

TEST(SplitPathArgument, Parameters) {
  auto a = split_path_argument("FROM:<a@b> SIZE=10 body=8BITMIME SMTPUTF8", "FROM:");
  ASSERT_TRUE(a.ok);
  EXPECT_TRUE(a.params_ok);
  EXPECT_EQ(a.path, "<a@b>");
  ASSERT_EQ(a.params.size(), 3u);
  EXPECT_EQ(a.params[1].keyword, "BODY");
  EXPECT_EQ(*a.params[1].value, "8BITMIME");
  EXPECT_FALSE(a.params[2].value.has_value());
  auto q = split_path_argument("FROM:<\"a>b\"@c>", "FROM:");
  ASSERT_TRUE(q.ok);
  EXPECT_EQ(q.path, "<\"a>b\"@c>");
  EXPECT_FALSE(split_path_argument("FROM:<a@b> SIZE=", "FROM:").params_ok);
  EXPECT_FALSE(split_path_argument("FROM:<a@b> -X=1", "FROM:").params_ok);
  EXPECT_FALSE(split_path_argument("FROM:<a@b> SIZE=1 size=2", "FROM:").params_ok);
  EXPECT_FALSE(split_path_argument("FROM:  <a@b>", "FROM:").ok);
  EXPECT_FALSE(split_path_argument("TO:<a@b>", "FROM:").ok);
}

TEST(Address, AQuotedLocalPartThatNeedsNoQuotesIsTheSameAddress) {
  auto local = [](std::string_view text) {
    return parse_path(text, false, false, true).path.local;
  };
  EXPECT_EQ(local(R"(<"alice"@example.test>)"), "alice");
  EXPECT_EQ(local(R"(<"al\ice.b"@example.test>)"), "alice.b");
  EXPECT_EQ(parse_path(R"(<"alice"@example.test>)", false, false, false).path.address(),
            "alice@example.test");
  // Quotes that are needed stay.
  EXPECT_EQ(local(R"(<"a b"@example.test>)"), R"("a b")");
  EXPECT_EQ(local(R"(<".alice"@example.test>)"), R"(".alice")");
  EXPECT_EQ(local(R"(<"a..b"@example.test>)"), R"("a..b")");
  EXPECT_EQ(local(R"(<"a@b"@example.test>)"), R"("a@b")");
  EXPECT_EQ(local(R"(<"\""@example.test>)"), R"("\"")");
}

}  // namespace
}  // namespace mailactor::protocol
