#include "routing/relay_policy.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mailactor::routing {
namespace {

std::vector<std::string> hosts_of(const MxPlan& p) {
  return p.hosts;
}

TEST(RelayPolicy, MxByPreferenceCappedAtMaxHosts) {
  std::mt19937 rng(1);
  auto p = plan_mx(
      "x.test", {{20, "c.x.test."}, {10, "a.x.test."}, {30, "d.x.test"}, {15, "b.x.test"}}, 3, rng);
  EXPECT_EQ(p.kind, MxPlan::Kind::hosts);
  EXPECT_EQ(hosts_of(p), (std::vector<std::string>{"a.x.test", "b.x.test", "c.x.test"}));
}

TEST(RelayPolicy, EqualPreferencesAreShuffled) {
  std::set<std::string> firsts;
  for (unsigned seed = 0; seed < 50; ++seed) {
    std::mt19937 rng(seed);
    auto p = plan_mx("x.test", {{10, "a"}, {10, "b"}, {10, "c"}, {5, "z"}}, 5, rng);
    EXPECT_EQ(p.hosts[0], "z");
    firsts.insert(p.hosts[1]);
  }
  EXPECT_EQ(firsts.size(), 3u);
}

TEST(RelayPolicy, NoMxMeansTheDomainItself) {
  std::mt19937 rng(1);
  EXPECT_EQ(hosts_of(plan_mx("x.test", {}, 5, rng)), (std::vector<std::string>{"x.test"}));
}

TEST(RelayPolicy, ALoneNullMxRefusesMailAndANullMxAmongOthersIsIgnored) {
  std::mt19937 rng(1);
  EXPECT_EQ(plan_mx("x.test", {{0, "."}}, 5, rng).kind, MxPlan::Kind::null_mx);
  auto p = plan_mx("x.test", {{0, "."}, {10, "mx.x.test"}}, 5, rng);
  EXPECT_EQ(hosts_of(p), (std::vector<std::string>{"mx.x.test"}));
}

TEST(RelayPolicy, DestinationSmarthostByDomainThenDefaultThenMx) {
  RelaySettings s;
  s.tls_by_domain["bank.test"] = TlsPolicy::verify;
  EXPECT_EQ(destination_for(s, "bank.test").key(), "mx:bank.test");
  EXPECT_EQ(destination_for(s, "bank.test").tls, TlsPolicy::verify);
  EXPECT_EQ(destination_for(s, "other.test").tls, TlsPolicy::may);
  s.by_domain["corp.test"] = Smarthost{"relay.corp.test", 25, false, TlsPolicy::encrypt, "", ""};
  s.smarthost = Smarthost{"smart.test", 587, false, TlsPolicy::encrypt, "u", "p"};
  EXPECT_EQ(destination_for(s, "corp.test").key(), "smarthost:relay.corp.test:25");
  EXPECT_EQ(destination_for(s, "a.test").key(), "smarthost:smart.test:587");
  EXPECT_EQ(destination_for(s, "b.test").key(), destination_for(s, "a.test").key());
  EXPECT_EQ(destination_for(s, "a.test").tls, TlsPolicy::encrypt);
}

TEST(RelayPolicy, Credentials) {
  EXPECT_EQ(parse_credentials("bob:s3:cr3t\n"),
            (std::pair<std::string, std::string>{"bob", "s3:cr3t"}));
  for (const char* bad : {"", "bob", ":pw", "bob:", "a:b\nc:d"})
    EXPECT_THROW(parse_credentials(bad), std::invalid_argument) << bad;
}

TEST(RelayPolicy, TlsPolicyNames) {
  for (auto p : {TlsPolicy::may, TlsPolicy::encrypt, TlsPolicy::verify})
    EXPECT_EQ(parse_tls_policy(to_string(p)), p);
  EXPECT_FALSE(parse_tls_policy("none"));
}

}  // namespace
}  // namespace mailactor::routing
