// Log injection (issue 30): what a client controls must never start a line of its own or reach
// the operator's terminal as an escape sequence.
#include "app/log_escape.hpp"

#include <gtest/gtest.h>

namespace mailactor::app {
namespace {

TEST(LogEscape, ControlCharactersBecomeHexEscapes) {
  EXPECT_EQ(log_escaped("user\r\n2026-12-07T00:00:00.000 info forged"),
            "user\\x0d\\x0a2026-12-07T00:00:00.000 info forged");
  EXPECT_EQ(log_escaped(std::string("a\0b\x1b[31mred\x7f\t", 13)), "a\\x00b\\x1b[31mred\\x7f\\x09");
}

TEST(LogEscape, WellFormedUtf8StaysInvalidBytesAreEscaped) {
  EXPECT_EQ(log_escaped("J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7"),
            "J\xc3\xbcrgen \xe2\x82\xac \xf0\x9f\x93\xa7");
  EXPECT_EQ(log_escaped("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(log_escaped("\xc3"), "\\xc3");                             // cut short
  EXPECT_EQ(log_escaped("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(log_escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(log_escaped("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // past U+10FFFF
}

TEST(LogEscape, C1ControlsAreEscapedEvenAsUtf8) {
  // U+009B is CSI: some terminals obey it like ESC [.
  EXPECT_EQ(log_escaped("a\xc2\x9b"
                        "31m"),
            "a\\xc2\\x9b31m");
  EXPECT_EQ(log_escaped("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
}

TEST(LogEscape, PrintableAsciiIsUnchanged) {
  std::string all;
  for (char c = 0x20; c < 0x7f; ++c)
    all += c;
  EXPECT_EQ(log_escaped(all), all);
}

}  // namespace
}  // namespace mailactor::app
