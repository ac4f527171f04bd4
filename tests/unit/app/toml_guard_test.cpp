// The config text check that keeps toml++ 3.3 away from its unreachable() paths.
#include <gtest/gtest.h>

#include "app/toml_guard.hpp"

namespace mailactor::app {
namespace {

TEST(TomlGuard, NonAsciiInCommentsAndSafeStringsIsFine) {
  EXPECT_FALSE(unsafe_toml_text("# Grüße, φ\nhostname = \"mx.\\u00FC.example\"\n"));
  EXPECT_FALSE(unsafe_toml_text("a = '日本'\nb = \"\"\"\n€\n\"\"\"\nc = '''\n✓\n'''\n"));
  EXPECT_FALSE(unsafe_toml_text("a = \"\\\"€\"  # after an escaped quote\n"));
  EXPECT_FALSE(unsafe_toml_text("s = \"\"\"\\\n  ascii €\"\"\"\n"));
}

TEST(TomlGuard, BareNonAsciiIsNamedWithItsLine) {
  auto p = unsafe_toml_text("a = 1\nφ");  // the fuzzer's find: U+03C6 where toml++ wants space
  ASSERT_TRUE(p);
  EXPECT_EQ(p->line, 2u);
  EXPECT_EQ(p->what, "non-ASCII character outside a string or comment");
  EXPECT_TRUE(unsafe_toml_text("a = \"x\" €\n"));
  EXPECT_TRUE(unsafe_toml_text("\xcc\xaa"));  // tomlplusplus#295
}

TEST(TomlGuard, UnsafeCodePointsInStringsNameTheEscape) {
  auto p = unsafe_toml_text("hostname = \"bücher\"\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->what,
            "character U+00FC in a string: toml++ 3.3 cannot parse it safely; write it as \\u00FC "
            "in a \"basic\" string");
  p = unsafe_toml_text("s = \"\"\"\\\n\xc2\xa7\"\"\"\n");  // tomlplusplus#190
  ASSERT_TRUE(p);
  EXPECT_EQ(p->line, 2u);
}

TEST(TomlGuard, ControlCharactersAreRefused) {
  auto p = unsafe_toml_text("a = 1\nb = '\x01'\n");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->line, 2u);
  EXPECT_EQ(p->what, "control character U+0001");
  EXPECT_FALSE(unsafe_toml_text("a = 1\r\n\tb = 2\r\n"));
}

TEST(TomlGuard, StringsEndWhereTomlSaysTheyDo) {
  EXPECT_TRUE(unsafe_toml_text("a = \"\"\"x\"\"\"\"\" €\n"));  // content ends with two quotes
  EXPECT_TRUE(unsafe_toml_text("a = 'x' # c\n€\n"));           // comments end at the line
}

}  // namespace
}  // namespace mailactor::app
