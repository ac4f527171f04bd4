#include <gtest/gtest.h>

#include "protocol/base64.hpp"
#include "protocol/sasl.hpp"

namespace mailactor::protocol {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::string(plain));
  }
}

TEST(Base64, RejectsMalformed) {
  for (const char* bad : {"Zg=", "Zg", "Z===", "Zm9v!A==", "Zg==Zg==", "Zm 9v", "=Zg=", "Zm=v"})
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
}

TEST(Base64, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(SaslPlain, Parses) {
  auto c = parse_sasl_plain(std::string("\0alice\0pw", 9));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->authzid, "");
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->secret, "pw");
  auto z = parse_sasl_plain(std::string("boss\0alice\0pw", 13));
  ASSERT_TRUE(z);
  EXPECT_EQ(z->authzid, "boss");
}

TEST(SaslPlain, RejectsMalformed) {
  EXPECT_FALSE(parse_sasl_plain("alice"));
  EXPECT_FALSE(parse_sasl_plain(std::string("\0alice", 6)));
  EXPECT_FALSE(parse_sasl_plain(std::string("\0\0pw", 4)));
  EXPECT_FALSE(parse_sasl_plain(std::string("\0alice\0", 7)));
  EXPECT_FALSE(parse_sasl_plain(std::string("\0a\0b\0c", 6)));
}

}  // namespace
}  // namespace mailactor::protocol
