#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "storage/envelope_json.hpp"
#include "storage/maildir.hpp"
#include "temp_dir.hpp"

namespace mailactor::storage {
namespace {

using mailactor::testing::TempDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t count(const std::string& dir) {
  size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    (void)e, ++n;
  return n;
}

TEST(Maildir, DeliversMessageAndEnvelope) {
  TempDir dir;
  Maildir md(dir / "mail");
  md.deliver("ID1", "{\"id\":\"ID1\"}\n", [](const Maildir::Writer& w) {
    w("Received: x\r\n");
    w("body\r\n");
  });
  EXPECT_EQ(slurp(dir / "mail/new/ID1"), "Received: x\r\nbody\r\n");
  EXPECT_EQ(slurp(dir / "mail/envelope/ID1.json"), "{\"id\":\"ID1\"}\n");
  EXPECT_EQ(count(dir / "mail/tmp"), 0u);
  EXPECT_TRUE(md.delivered("ID1"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "mail/cur"));
}

TEST(Maildir, RedeliveryReplacesNotDuplicates) {
  TempDir dir;
  Maildir md(dir.path());
  for (int i = 0; i < 2; ++i)
    md.deliver("ID", "{}", [](const Maildir::Writer& w) { w("same"); });
  EXPECT_EQ(count(dir / "new"), 1u);
  EXPECT_EQ(slurp(dir / "new/ID"), "same");
}

TEST(Maildir, FailureLeavesNothingInNew) {
  TempDir dir;
  Maildir md(dir.path());
  EXPECT_THROW(md.deliver("BAD", "{}",
                          [](const Maildir::Writer& w) {
                            w("partial");
                            throw std::system_error(EIO, std::generic_category(), "read");
                          }),
               std::system_error);
  EXPECT_EQ(count(dir / "new"), 0u);
  EXPECT_EQ(count(dir / "tmp"), 0u);
}

TEST(Maildir, ReadOnlyDirectoryIsAnError) {
  if (geteuid() == 0) {
    // root ignores permission bits; use a path under a regular file instead
    TempDir dir;
    std::ofstream(dir / "file") << "x";
    EXPECT_THROW(Maildir(dir / "file/mail"), std::runtime_error);
    return;
  }
  TempDir dir;
  Maildir md(dir / "mail");
  chmod((dir / "mail/new").c_str(), 0500);
  EXPECT_THROW(Maildir(dir / "mail"), std::runtime_error);
}

TEST(EnvelopeJson, Fields) {
  MessageMeta m;
  m.id = "Q1";
  m.mail_from = "";
  m.rcpt_to = {"x@example.test"};
  m.client_addr = "127.0.0.1";
  m.client_port = 25;
  m.received_at = 0;
  m.size = 10;
  std::string j = envelope_json(m);
  EXPECT_NE(j.find("\"received_at\": \"1970-01-01T00:00:00Z\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"tls\": null"), std::string::npos);
  EXPECT_NE(j.find("\"auth_user\": null"), std::string::npos);
  EXPECT_NE(j.find("\"mail_from\": \"\""), std::string::npos);
  EXPECT_EQ(rcpt_to_from_json(rcpt_to_json({"a", "b\"c"})),
            (std::vector<std::string>{"a", "b\"c"}));
}

}  // namespace
}  // namespace mailactor::storage
