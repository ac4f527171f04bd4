#include <gtest/gtest.h>

#include "protocol/reply.hpp"
#include "protocol/reply_parser.hpp"

namespace mailactor::protocol {
namespace {

TEST(Reply, Wire) {
  EXPECT_EQ(reply(250, "2.1.0", "Ok").wire(), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(reply(220, "", "mx ESMTP").wire(), "220 mx ESMTP\r\n");
  EXPECT_EQ((Reply{250, "", {"mx", "PIPELINING", "SIZE 10"}}).wire(),
            "250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n");
  EXPECT_EQ((Reply{334, "", {""}}).wire(), "334 \r\n");
  EXPECT_EQ(reply(550, "5.7.1", "Relay access denied").summary(), "550 5.7.1 Relay access denied");
}

TEST(ReplyParser, MultiLineAndSplitInput) {
  ReplyParser p;
  std::string stream = "250-mx\r\n250-PIPELINING\r\n250 SIZE 10\r\n250 2.1.0 Ok\r\n";
  for (char c : stream)
    ASSERT_TRUE(p.feed(std::string_view(&c, 1)));
  auto ehlo = p.next();
  ASSERT_TRUE(ehlo);
  EXPECT_EQ(ehlo->code, 250);
  EXPECT_EQ(ehlo->lines, (std::vector<std::string>{"mx", "PIPELINING", "SIZE 10"}));
  auto ok = p.next();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, "2.1.0");
  EXPECT_EQ(ok->lines, std::vector<std::string>{"Ok"});
  EXPECT_FALSE(p.next());
}

TEST(ReplyParser, RejectsGarbage) {
  ReplyParser p;
  EXPECT_FALSE(p.feed("hello\r\n"));
  ReplyParser mixed;
  EXPECT_FALSE(mixed.feed("250-a\r\n251 b\r\n"));
  ReplyParser endless;
  EXPECT_FALSE(endless.feed(std::string(10000, '2')));
}

TEST(ReplyParser, EnhancedStatusSplit) {
  std::string status, rest;
  EXPECT_TRUE(split_enhanced_status("5.7.1 Relay denied", status, rest));
  EXPECT_EQ(status, "5.7.1");
  EXPECT_EQ(rest, "Relay denied");
  EXPECT_FALSE(split_enhanced_status("mx.example ESMTP", status, rest));
  EXPECT_FALSE(split_enhanced_status("3.0.0 x", status, rest));
}

}  // namespace
}  // namespace mailactor::protocol
