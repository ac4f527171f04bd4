// [limits] and a listener's own [listener.limits].
#include <gtest/gtest.h>

#include "config_text.hpp"

namespace mailactor::app {
namespace {

Config load(const std::string& text) {
  return load_config_text(text);
}

TEST(ConfigLimits, ListenerLimitsStartFromTheGlobalOnes) {
  Config c = load(R"(
[limits]
max_message_size = 2048
max_sessions = 300
max_sessions_per_ip = 7

[[listener]]
name = "mx"
listen = "127.0.0.1:2525"

[[listener]]
name = "submission"
listen = "127.0.0.1:2587"
mode = "submission"
[listener.limits]
max_message_size = 4096
max_sessions = 20
max_message_rate_per_ip = 60
)");
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.limits.max_sessions, 300u);
  const auto& mx = c.listeners[0];
  EXPECT_EQ(mx.limits.max_message_size, 2048u);
  EXPECT_EQ(mx.limits.max_sessions_per_ip, 7u);
  EXPECT_EQ(mx.limits.max_sessions, 0u);  // only the server-wide cap
  const auto& sub = c.listeners[1];
  EXPECT_EQ(sub.limits.max_message_size, 4096u);
  EXPECT_EQ(sub.limits.max_sessions, 20u);
  EXPECT_EQ(sub.limits.max_sessions_per_ip, 7u);
  EXPECT_EQ(sub.limits.max_message_rate_per_ip, 60u);
}

TEST(ConfigLimits, TheDefaultListenerTakesTheGlobalLimits) {
  Config c = load(R"(
[limits]
max_sessions_per_ip = 2000
max_messages_per_session = 0
)");
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].limits.max_sessions_per_ip, 2000u);
  EXPECT_EQ(c.listeners[0].limits.max_messages_per_session, 0u);
}

TEST(ConfigLimits, DeliveryCpuShare) {
  EXPECT_DOUBLE_EQ(load("").delivery_cpu_share, 1.0);
  EXPECT_DOUBLE_EQ(load("[delivery]\ncpu_percent = 25\n").delivery_cpu_share, 0.25);
  EXPECT_THROW(load("[delivery]\ncpu_percent = 0\n"), ConfigError);
}

TEST(ConfigLimits, GreetingDelayPerListener) {
  Config c = load(R"(
[limits]
greeting_delay_ms = 800
[[listener]]
name = "submission"
listen = "127.0.0.1:2587"
[listener.limits]
greeting_delay_ms = 0
)");
  EXPECT_EQ(c.limits.greeting_delay.count(), 800);
  EXPECT_EQ(c.listeners[0].limits.greeting_delay.count(), 0);
}

TEST(ConfigLimits, UnknownListenerLimitIsNamed) {
  try {
    load(R"(
[[listener]]
name = "mx"
listen = "127.0.0.1:2525"
[listener.limits]
max_sesions = 20
)");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(":6: listener.limits.max_sesions: unknown key"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mailactor::app
