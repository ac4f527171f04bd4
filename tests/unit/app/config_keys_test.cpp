// The key tables (app/config_tables.cpp) against the loader: each key reads back what it shows,
// and a file setting every key to its default means the defaults.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "app/config_tables.hpp"
#include "config_text.hpp"

namespace mailactor::app {
namespace {

// The values of every key, "section.key" -> TOML text.
std::map<std::string, std::string> values_of(const Config& c) {
  std::map<std::string, std::string> out;
  for_each_key(c, [&](const KeyInfo& k) { out[k.section + "." + k.name] = k.value; });
  return out;
}

// A config file that sets every key with a fixed default to it. [node] is left out (it needs
// certificate files) and so is [relay.domain."D"] (no domain has one by default).
std::string file_of_defaults() {
  std::map<std::string, std::string> sections;
  for_each_key([&](const KeyInfo& k) {
    if (k.value.empty() || k.section == "node" || k.section == "relay.domain") return;
    sections[k.section] += k.name + " = " + k.value + "\n";
  });
  std::string text;
  for (const auto& [section, lines] : sections) {
    if (section == "listener" || section == "listener.limits") continue;
    text += "[" + section + "]\n" + lines + "\n";
  }
  return text + "[[listener]]\n" + sections["listener"] + "[listener.limits]\n" +
         sections["listener.limits"];
}

TEST(ConfigKeys, AFileOfTheDefaultsMeansTheDefaults) {
  Config loaded = load_config_text(file_of_defaults());
  auto expected = values_of(Config::defaults());
  auto got = values_of(loaded);
  for (const auto& [key, value] : expected)
    EXPECT_EQ(got[key], value) << key;
}

TEST(ConfigKeys, EveryKeyHasHelpAndOneDeclaration) {
  std::set<std::string> seen;
  for_each_key([&](const KeyInfo& k) {
    EXPECT_FALSE(k.doc.empty()) << k.section << "." << k.name;
    EXPECT_TRUE(seen.insert(k.section + "." + k.name).second) << k.section << "." << k.name;
  });
  EXPECT_GT(seen.size(), 100u);
}

TEST(ConfigKeys, AKeyReadsWhatItShows) {
  Config c = load_config_text(R"(
[limits]
max_hops = 7
command_timeout = 42
bare_newline = "reject"
[auth]
timeout = 9
address_failures = 3
[relay]
tls = "verify"
retry_first = 60
[[listener]]
name = "sub"
listen = "127.0.0.1:2587"
mode = "submission"
[listener.limits]
max_sessions = 5
)");
  auto v = values_of(c);
  EXPECT_EQ(v["limits.max_hops"], "7");
  EXPECT_EQ(v["limits.command_timeout"], "42");
  EXPECT_EQ(v["limits.bare_newline"], "\"reject\"");
  EXPECT_EQ(v["auth.timeout"], "9");
  EXPECT_EQ(v["auth.address_failures"], "3");
  EXPECT_EQ(v["relay.retry_first"], "60");
  EXPECT_EQ(v["listener.mode"], "\"submission\"");
  EXPECT_EQ(v["listener.limits.max_sessions"], "5");
  EXPECT_EQ(v["listener.limits.max_hops"], "7");  // from [limits]
  EXPECT_EQ(c.relay.policy.tls, routing::TlsPolicy::verify);
}

TEST(ConfigKeys, DefaultsAreShownAsTomlWithTheirHelp) {
  std::ostringstream out;
  print_defaults(out);
  EXPECT_NE(out.str().find("limits.max_hops = 50  # "), std::string::npos);
  EXPECT_NE(out.str().find("server.local_domains = [\"localhost\"]  # "), std::string::npos);
  EXPECT_NE(out.str().find("# server.hostname: "), std::string::npos);
}

TEST(ConfigKeys, TomlStringsAreEscaped) {
  EXPECT_EQ(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(toml_strings({"a", "b"}), "[\"a\", \"b\"]");
}

}  // namespace
}  // namespace mailactor::app
