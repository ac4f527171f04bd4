#include "actors/session/recipient_policy.hpp"

#include <gtest/gtest.h>

namespace mailactor::actors {
namespace {

routing::Resolution not_local() {
  routing::Resolution r;
  r.kind = routing::Resolution::Kind::not_local;
  return r;
}

SessionSettings settings(ListenerMode mode, std::vector<std::string> trusted = {}) {
  SessionSettings s;
  s.mode = mode;
  s.relay = true;
  std::string error;
  if (!trusted.empty())
    s.trusted_networks =
        std::make_shared<const routing::Networks>(*routing::Networks::parse(trusted, &error));
  return s;
}

TEST(MayRelay, AuthenticatedSubmissionOnly) {
  auto submission = settings(ListenerMode::submission);
  EXPECT_TRUE(may_relay(submission, true, "198.51.100.7"));
  EXPECT_FALSE(may_relay(submission, false, "198.51.100.7"));
  EXPECT_FALSE(may_relay(settings(ListenerMode::mx), true, "198.51.100.7"));
}

TEST(MayRelay, ClientsOnTrustedNetworksWithoutAuth) {
  auto mx = settings(ListenerMode::mx, {"10.0.0.0/8"});
  EXPECT_TRUE(may_relay(mx, false, "10.1.2.3"));
  EXPECT_TRUE(may_relay(mx, false, "::ffff:10.1.2.3"));
  EXPECT_FALSE(may_relay(mx, false, "192.0.2.1"));
}

TEST(DecideRecipient, OtherDomainsAreRefusedUnlessTheClientMayRelay) {
  auto s = settings(ListenerMode::mx);
  auto refused = decide_recipient(s, "someone@elsewhere.example", false, not_local());
  EXPECT_FALSE(refused.verdict.accepted);
  EXPECT_EQ(refused.verdict.rejection.code, 550);
  EXPECT_TRUE(refused.finals.empty());

  auto relayed = decide_recipient(s, "someone@elsewhere.example", true, not_local());
  EXPECT_TRUE(relayed.verdict.accepted);
  ASSERT_EQ(relayed.finals.size(), 1u);
  EXPECT_EQ(relayed.finals[0].route, "relay");
  EXPECT_EQ(relayed.finals[0].target, "elsewhere.example");
}

TEST(DecideRecipient, WithoutOutboundRelayMailForOtherDomainsGoesToTheIngestMaildir) {
  auto s = settings(ListenerMode::mx);
  s.relay = false;
  auto d = decide_recipient(s, "someone@elsewhere.example", true, not_local());
  ASSERT_EQ(d.finals.size(), 1u);
  EXPECT_EQ(d.finals[0].route, "ingest");
}

}  // namespace
}  // namespace mailactor::actors
