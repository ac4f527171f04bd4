// `mailactor config`: what differs from the defaults, each with the line that sets it, per
// listener too; a key set to its default is not a change.
#include "app/config_view.hpp"

#include <gtest/gtest.h>

#include "config_text.hpp"

namespace mailactor::app {
namespace {

const Setting* find(const std::vector<Setting>& all, const std::string& key) {
  for (const auto& s : all)
    if (s.key == key) return &s;
  return nullptr;
}

const char* kConfig = R"([server]
hostname = "mx.example.test"
local_domains = ["localhost"]

[[listener]]
name = "mx"
listen = "127.0.0.1:2525"

[[listener]]
name = "submission"
listen = "127.0.0.1:5587"
mode = "submission"
[listener.limits]
max_recipients = 10

[spool]
max_batch = 128
durability = "fsync"
)";

TEST(ConfigView, ChangedValuesWithTheirLines) {
  Config c = load_config_text(kConfig);
  auto changed = changed_settings(c);
  auto* hostname = find(changed, "server.hostname");
  ASSERT_NE(hostname, nullptr);
  EXPECT_EQ(hostname->value, "\"mx.example.test\"");
  EXPECT_EQ(hostname->where, c.source + ":2");
  auto* batch = find(changed, "spool.max_batch");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->value, "128");
  EXPECT_EQ(batch->where, c.source + ":17");
  EXPECT_EQ(find(changed, "spool.durability"), nullptr) << "set, but to its default";
  EXPECT_EQ(find(changed, "server.local_domains"), nullptr);
  auto* mode = find(changed, "listener.submission.mode");
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mode->value, "\"submission\"");
  EXPECT_EQ(mode->where, c.source + ":12");
  auto* rcpts = find(changed, "listener.submission.limits.max_recipients");
  ASSERT_NE(rcpts, nullptr);
  EXPECT_EQ(rcpts->where, c.source + ":14");
  EXPECT_EQ(find(changed, "listener.mx.mode"), nullptr);
  EXPECT_EQ(find(changed, "listener.mx.limits.max_recipients"), nullptr);
}

TEST(ConfigView, EveryKeyWithItsDefault) {
  Config c = load_config_text(kConfig);
  auto all = settings_of(c);
  auto* durability = find(all, "spool.durability");
  ASSERT_NE(durability, nullptr);
  EXPECT_EQ(durability->value, "\"fsync\"");
  EXPECT_EQ(durability->fallback, "\"fsync\"");
  EXPECT_EQ(durability->where, c.source + ":18");
  auto* timeout = find(all, "limits.command_timeout");
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(timeout->where, "");
  EXPECT_FALSE(timeout->doc.empty());
  EXPECT_NE(find(all, "listener.mx.listen"), nullptr);
}

}  // namespace
}  // namespace mailactor::app
