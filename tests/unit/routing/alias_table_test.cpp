#include "routing/alias_table.hpp"

#include <gtest/gtest.h>

using mailactor::routing::AliasTable;

TEST(AliasTable, ParsesNamesTargetsCommentsAndCase) {
  auto t = AliasTable::parse(
      "# team aliases\n"
      "\n"
      "Team@Example.Test: alice, Bob@Example.Test ,carol  # three\n"
      "postmaster: alice\r\n"
      "*@other.test: catch\n");
  EXPECT_TRUE(t.problems().empty());
  const auto* team = t.find("team", "example.test");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->targets, (std::vector<std::string>{"alice", "bob@example.test", "carol"}));
  EXPECT_EQ(team->line, 3u);
  EXPECT_EQ(t.find("team", "other.test"), nullptr);  // bound to its domain
  ASSERT_NE(t.find("postmaster", "any.test"), nullptr);
  ASSERT_NE(t.catch_all("other.test"), nullptr);
  EXPECT_EQ(t.catch_all("example.test"), nullptr);
}

TEST(AliasTable, DomainEntryWinsOverBareName) {
  auto t = AliasTable::parse("info: a\ninfo@x.test: b\n");
  EXPECT_EQ(t.find("info", "x.test")->targets[0], "b");
  EXPECT_EQ(t.find("info", "y.test")->targets[0], "a");
}

TEST(AliasTable, ReportsEachBadLineWithItsNumber) {
  struct Case {
    const char* line;
    const char* problem;
  };
  const Case cases[] = {
      {"no colon here", "expected"},
      {": alice", "empty address"},
      {"a: ", "empty address"},
      {"a: b,,c", "empty address"},
      {"a: |/bin/sh", "pipes"},
      {"a: /var/mail/x", "pipes"},
      {"a: :include:/etc/x", "pipes"},
      {"a: b@c@d", "more than one"},
      {"a: b@", "empty local part"},
      {"a b: c", "space"},
      {"x*: c", "catch-all"},
      {"*: c", "catch-all"},
      {"a: *", "'*'"},
  };
  for (const auto& c : cases) {
    auto t = AliasTable::parse(std::string("ok: fine\n") + c.line + "\n");
    ASSERT_EQ(t.problems().size(), 1u) << c.line;
    EXPECT_EQ(t.problems()[0].line, 2u) << c.line;
    EXPECT_NE(t.problems()[0].what.find(c.problem), std::string::npos)
        << c.line << " -> " << t.problems()[0].what;
  }
}

TEST(AliasTable, DuplicateNameIsAProblem) {
  auto t = AliasTable::parse("a: b\nA: c\n");
  ASSERT_EQ(t.problems().size(), 1u);
  EXPECT_EQ(t.problems()[0].line, 2u);
  EXPECT_EQ(t.find("a", "x")->targets[0], "b");
}
