#include <gtest/gtest.h>

#include "protocol/content_checks.hpp"
#include "protocol/data_decoder.hpp"

namespace mailactor::protocol {
namespace {

struct Decoded {
  std::string content;
  size_t consumed = 0;
  bool done = false;
  bool bare = false;
};

Decoded decode_split(std::string_view in, const std::vector<size_t>& cuts) {
  DataDecoder d;
  Decoded r;
  size_t pos = 0;
  std::vector<size_t> all = cuts;
  all.push_back(in.size());
  for (size_t cut : all) {
    if (d.done()) break;
    std::string_view part = in.substr(pos, cut - pos);
    r.consumed += d.decode(part, r.content);
    pos = cut;
  }
  r.done = d.done();
  r.bare = d.saw_bare_newline();
  return r;
}

struct DecodeCase {
  std::string input;
  std::string content;
  bool done;
  size_t consumed;  // meaningful when done
};

class DataDecoderCases : public ::testing::TestWithParam<DecodeCase> {};

TEST_P(DataDecoderCases, SameResultAtEverySplit) {
  const auto& c = GetParam();
  Decoded whole = decode_split(c.input, {});
  EXPECT_EQ(whole.content, c.content);
  EXPECT_EQ(whole.done, c.done);
  if (c.done) {
    EXPECT_EQ(whole.consumed, c.consumed);
  }
  for (size_t cut = 0; cut <= c.input.size(); ++cut) {
    Decoded split = decode_split(c.input, {cut});
    EXPECT_EQ(split.content, whole.content) << "cut " << cut;
    EXPECT_EQ(split.done, whole.done) << "cut " << cut;
    EXPECT_EQ(split.consumed, whole.consumed) << "cut " << cut;
    EXPECT_EQ(split.bare, whole.bare) << "cut " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < c.input.size(); ++i)
    every.push_back(i);
  Decoded bytewise = decode_split(c.input, every);
  EXPECT_EQ(bytewise.content, whole.content);
  EXPECT_EQ(bytewise.consumed, whole.consumed);
}

INSTANTIATE_TEST_SUITE_P(Cases, DataDecoderCases,
                         ::testing::Values(DecodeCase{".\r\n", "", true, 3},
                                           DecodeCase{"a\r\n.\r\nREST", "a\r\n", true, 6},
                                           DecodeCase{"..\r\n.\r\n", ".\r\n", true, 7},
                                           DecodeCase{"...x\r\n.\r\n", "..x\r\n", true, 9},
                                           DecodeCase{"a\n.\nb", "a\r\n.\r\nb", false, 0},
                                           DecodeCase{"a\n.\r\nb", "a\r\n.\r\nb", false, 0},
                                           DecodeCase{"a\r\n.\nb", "a\r\n.\r\nb", false, 0},
                                           DecodeCase{"a\r.\rb", "a\r\n.\r\nb", false, 0},
                                           DecodeCase{"a\r\n.\rb", "a\r\n.\r\nb", false, 0},
                                           DecodeCase{"a\r\r\nb", "a\r\n\r\nb", false, 0},
                                           DecodeCase{"x.\r\n", "x.\r\n", false, 0},
                                           DecodeCase{"\r\n\r\n.\r\n", "\r\n\r\n", true, 7},
                                           DecodeCase{std::string("\0\xff\r\n.\r\n", 7),
                                                      std::string("\0\xff\r\n", 4), true, 7}));

TEST(DataDecoder, FlagsBareNewlines) {
  EXPECT_FALSE(decode_split("a\r\nb\r\n.\r\n", {}).bare);
  EXPECT_TRUE(decode_split("a\nb\r\n.\r\n", {}).bare);
  EXPECT_TRUE(decode_split("a\rb\r\n.\r\n", {}).bare);
  EXPECT_TRUE(decode_split("a\r\n.\rb\r\n.\r\n", {}).bare);
}

TEST(DotStuffer, RoundTripsThroughTheDecoder) {
  const std::string contents[] = {"",
                                  "a",
                                  "a\r\n",
                                  ".\r\n",
                                  "..\r\n.x",
                                  "x\r\n.\r\ny",
                                  "line\r\n.\r\n.\r\n",
                                  std::string(5000, '.')};
  for (const auto& content : contents) {
    DotStuffer s;
    std::string wire;
    s.append(content, wire);
    s.finish(wire);
    Decoded d = decode_split(wire, {});
    ASSERT_TRUE(d.done) << content;
    EXPECT_EQ(d.consumed, wire.size());
    std::string expected = content;
    if (!expected.empty() &&
        (expected.size() < 2 || expected.substr(expected.size() - 2) != "\r\n"))
      expected += "\r\n";
    EXPECT_EQ(d.content, expected);
  }
}

TEST(DotStuffer, NormalisesBareNewlines) {
  DotStuffer s;
  std::string wire;
  s.append("a\nb\rc", wire);
  s.finish(wire);
  EXPECT_EQ(wire, "a\r\nb\r\nc\r\n.\r\n");
}

}  // namespace
}  // namespace mailactor::protocol

namespace mailactor::protocol {
namespace {

TEST(HopCounter, CountsReceivedAndDeliveredToInTheHeaderOnly) {
  HopCounter c;
  c.feed("Received: from a\r\n\tby b\r\nRECEIVED:x\r\nX-Received: no\r\nReceived-SPF: no\r\n");
  c.feed("Delivered-To: a@b\r\nSubject: Received: no\r\n received: folded, no\r\n");
  EXPECT_EQ(c.hops(), 3u);
  c.feed("\r\nReceived: in the body\r\n");
  EXPECT_EQ(c.hops(), 3u);
}

TEST(HopCounter, ChunkBoundariesDoNotMatter) {
  const std::string msg = "Received: 1\r\nDelivered-To: 2\nReceived: 3\r\n\r\nReceived: body\r\n";
  for (size_t cut = 0; cut <= msg.size(); ++cut) {
    HopCounter c;
    c.feed(msg.substr(0, cut));
    c.feed(msg.substr(cut));
    EXPECT_EQ(c.hops(), 3u) << cut;
  }
}

TEST(BareNewlineScanner, FindsBareCrAndLfAcrossChunks) {
  auto scan = [](std::vector<std::string> chunks) {
    BareNewlineScanner s;
    for (const auto& c : chunks)
      s.feed(c);
    return s.found_at_end();
  };
  EXPECT_FALSE(scan({"a\r\nb\r\n"}));
  EXPECT_FALSE(scan({"a\r", "\nb"}));
  EXPECT_TRUE(scan({"a\nb"}));
  EXPECT_TRUE(scan({"a\r", "b"}));
  EXPECT_TRUE(scan({"a\r"}));
  EXPECT_TRUE(scan({"\n"}));
}

}  // namespace
}  // namespace mailactor::protocol
