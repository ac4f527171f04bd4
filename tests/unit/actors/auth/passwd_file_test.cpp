#include <gtest/gtest.h>

#include "actors/auth/dovecot_client.hpp"
#include "actors/auth/passwd_file.hpp"
#include "actors/auth/password_hash.hpp"

namespace mailactor::auth {
namespace {

TEST(PasswordHash, SchemesVerify) {
  for (const char* prefix : {"$y$", "$6$", "$5$", "$2b$"}) {
    std::string h = hash_password("correct horse", prefix);
    EXPECT_EQ(h.rfind(prefix, 0), 0u) << h;
    EXPECT_TRUE(verify_password("correct horse", h)) << prefix;
    EXPECT_FALSE(verify_password("correct horsf", h)) << prefix;
    EXPECT_FALSE(verify_password("", h)) << prefix;
  }
  EXPECT_NE(hash_password("x"), hash_password("x")) << "salted";
  EXPECT_FALSE(verify_password("x", ""));
  EXPECT_FALSE(verify_password("x", "!locked"));
  EXPECT_FALSE(verify_password("x", "$y$garbage"));
}

TEST(PasswdFile, ParsesDovecotFormatAndReportsBadLines) {
  std::string yes = hash_password("pw1");
  std::string sha = hash_password("pw2", "$6$");
  std::string bf = hash_password("pw3", "$2b$");
  std::string text =
      "# users\n"
      "\n"
      "alice:" +
      yes + "\n" + "bob:{SHA512-CRYPT}" + sha + ":1000:1000::/home/bob::\n" + "carol:{BLF-CRYPT}" +
      bf + "\n" +
      "dave:{PLAIN}plain pw\n"
      "no colon here\n"
      ":" +
      yes + "\n" +
      "erin:\n"
      "frank:{MD4}abc\n"
      "gina:notahash\n"
      "alice:" +
      sha + "\n";
  PasswdFile f = PasswdFile::parse(text);
  EXPECT_EQ(f.size(), 4u);
  EXPECT_TRUE(f.check("alice", "pw1"));
  EXPECT_FALSE(f.check("alice", "pw2"));
  EXPECT_TRUE(f.check("bob", "pw2"));
  EXPECT_TRUE(f.check("carol", "pw3"));
  EXPECT_TRUE(f.check("dave", "plain pw"));
  EXPECT_FALSE(f.check("dave", "plain"));
  EXPECT_FALSE(f.check("nobody", "pw1"));
  std::vector<size_t> lines;
  for (const auto& p : f.problems())
    lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<size_t>{7, 8, 9, 10, 11, 12}));
  EXPECT_NE(f.problems()[3].what.find("{MD4}"), std::string::npos);
  EXPECT_NE(f.problems()[5].what.find("duplicate user alice"), std::string::npos);
}

TEST(PasswdFile, CrLfAndNoTrailingNewline) {
  std::string h = hash_password("pw");
  PasswdFile f = PasswdFile::parse("a:" + h + "\r\nb:{PLAIN}x");
  EXPECT_EQ(f.size(), 2u);
  EXPECT_TRUE(f.check("a", "pw"));
  EXPECT_TRUE(f.check("b", "x"));
  EXPECT_TRUE(f.problems().empty());
}

TEST(PasswdFile, MissingFileIsAnError) {
  EXPECT_THROW(PasswdFile::load("/nonexistent/users"), std::runtime_error);
}

TEST(DovecotEscape, Fields) {
  EXPECT_EQ(dovecot_escape("a\tb\nc\\d\001"), "a\\tb\\nc\\\\d\\1");
}

}  // namespace
}  // namespace mailactor::auth
