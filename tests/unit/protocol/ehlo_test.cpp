#include "protocol/ehlo.hpp"

#include <gtest/gtest.h>

#include "protocol/reply_parser.hpp"

namespace mailactor::protocol {
namespace {

Reply parsed(const std::string& wire) {
  ReplyParser p;
  EXPECT_TRUE(p.feed(wire));
  return *p.next();
}

TEST(Ehlo, ReadsTheKeywordsAClientNeeds) {
  auto c = parse_ehlo(
      parsed("250-mx.example.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
             "250-starttls\r\n250-AUTH PLAIN login\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n"
             "250 SMTPUTF8\r\n"));
  EXPECT_TRUE(c.pipelining);
  EXPECT_TRUE(c.starttls);
  EXPECT_TRUE(c.eightbitmime);
  EXPECT_TRUE(c.smtputf8);
  EXPECT_TRUE(c.dsn);
  EXPECT_TRUE(c.enhanced_status);
  EXPECT_EQ(c.max_size, 1000u);
  EXPECT_TRUE(c.accepts_size(1000));
  EXPECT_FALSE(c.accepts_size(1001));
  EXPECT_TRUE(c.offers_auth("plain"));
  EXPECT_TRUE(c.offers_auth("LOGIN"));
  EXPECT_FALSE(c.offers_auth("CRAM-MD5"));
}

TEST(Ehlo, TheGreetingLineIsNotAKeyword) {
  auto c = parse_ehlo(parsed("250 PIPELINING\r\n"));
  EXPECT_FALSE(c.pipelining);
}

TEST(Ehlo, SizeWithoutOrWithABadLimit) {
  auto none = parse_ehlo(parsed("250-x\r\n250 SIZE\r\n"));
  EXPECT_TRUE(none.size_offered);
  EXPECT_TRUE(none.accepts_size(uint64_t(1) << 40));
  auto bad = parse_ehlo(parsed("250-x\r\n250 SIZE 12abc\r\n"));
  EXPECT_FALSE(bad.size_offered);
  EXPECT_TRUE(bad.accepts_size(99));
}

TEST(Ehlo, ANonOkReplyOffersNothing) {
  auto c = parse_ehlo(parsed("502-x\r\n502 PIPELINING\r\n"));
  EXPECT_FALSE(c.pipelining);
}

TEST(ReplyParser, AnEndlessMultiLineReplyIsNotSmtp) {
  ReplyParser p;
  std::string wire;
  for (int i = 0; i < 300; ++i)
    wire += "250-line\r\n";
  EXPECT_FALSE(p.feed(wire));
}

}  // namespace
}  // namespace mailactor::protocol
