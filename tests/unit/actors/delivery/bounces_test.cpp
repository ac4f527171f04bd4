// Bounces and success notices (RFC 3464/3461) from a real queue and a real router: to whom they
// go and by which route, what they carry (the whole original, or its headers only), and when
// there is none (the null sender, a loop, a sender the router refuses).
#include "actors/delivery/bounces.hpp"

#include <gtest/gtest.h>

#include "storage/queue_store.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::actors {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;

const std::string kContent =
    "Subject: the original\r\nFrom: alice@example.test\r\n\r\nsecret body\r\n";

struct Bounces : ::testing::Test {
  mailactor::testing::TempDir dir;
  std::unique_ptr<routing::Router> router;

  Bounces() {
    routing::RouterSettings s;
    s.local_domains = {"example.test"};
    s.mode = routing::LocalMode::mailboxes;
    s.aliases = routing::AliasTable::parse("postmaster: alice\n");
    s.users.push_back(
        std::make_shared<routing::UserList>("static", std::vector<std::string>{"alice"}));
    router = std::make_unique<routing::Router>(std::move(s));
  }

  storage::MessageMeta store(const std::string& id, const std::string& from,
                             const std::string& content = kContent, const std::string& params = "",
                             const std::string& auth_user = "") {
    storage::MessageMeta m;
    m.id = id;
    m.mail_from = from;
    m.rcpt_to = {"bob@far.test"};
    m.params = params;
    m.auth_user = auth_user;
    m.received_at = 1795856400;
    storage::QueueStore q(dir.path(), storage::Durability::none);
    q.finish(m, {{"Bob@far.test", "bob@far.test", "relay", "far.test", "", "rfc822;Bob@far.test"}},
             content);
    q.commit();
    return m;
  }

  BounceDecision bounce(const storage::MessageMeta& m, RecipientState state, int code,
                        const std::string& enhanced, const std::string& text) {
    storage::QueueReader reader(dir.path());
    BouncedRecipient b{
        {"Bob@far.test", "bob@far.test", "relay", "far.test", "", "rfc822;Bob@far.test"},
        {0, state, 0, code, enhanced, text, "mx.far.test"}};
    return make_bounce(reader, *router, "mx.example.test", m, {b}, 1795856500);
  }
};

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_F(Bounces, AFailureGoesBackToALocalSenderWithTheWholeOriginal) {
  auto m = store("Q1", "alice@example.test");
  auto d = bounce(m, RecipientState::failed, 550, "5.1.1", "no such user");
  ASSERT_EQ(d.why_not, "");
  const auto& b = d.bounce;
  EXPECT_EQ(b.meta.id, "Q1B0");
  EXPECT_EQ(b.meta.mail_from, "");  // the null sender: a bounce is never bounced
  EXPECT_EQ(b.meta.rcpt_to, std::vector<std::string>{"alice@example.test"});
  ASSERT_EQ(b.to.size(), 1u);
  EXPECT_EQ(b.to[0].address, "alice@example.test");
  EXPECT_EQ(b.to[0].route, "maildir");
  EXPECT_TRUE(has(b.content, "report-type=delivery-status")) << b.content;
  EXPECT_TRUE(has(b.content, "Reporting-MTA: dns; mx.example.test"));
  EXPECT_TRUE(has(b.content, "Original-Recipient: rfc822;Bob@far.test"));
  EXPECT_TRUE(has(b.content, "Final-Recipient: rfc822; bob@far.test"));
  EXPECT_TRUE(has(b.content, "Action: failed"));
  EXPECT_TRUE(has(b.content, "Status: 5.1.1"));
  EXPECT_TRUE(has(b.content, "Remote-MTA: dns; mx.far.test"));
  EXPECT_TRUE(has(b.content, "Diagnostic-Code: smtp; 550 5.1.1 no such user"));
  EXPECT_TRUE(has(b.content, "secret body")) << "a failure returns the content (RET default)";
}

TEST_F(Bounces, RetHdrsReturnsTheHeadersOnly) {
  auto m = store("Q2", "alice@example.test", kContent, "RET=HDRS ENVID=abc");
  auto d = bounce(m, RecipientState::failed, 550, "5.1.1", "no such user");
  EXPECT_TRUE(has(d.bounce.content, "Subject: the original"));
  EXPECT_FALSE(has(d.bounce.content, "secret body"));
  EXPECT_TRUE(has(d.bounce.content, "Original-Envelope-Id: abc"));
}

TEST_F(Bounces, AnExpiredRecipientSaysSoWith447) {
  auto m = store("Q3", "alice@example.test");
  auto d = bounce(m, RecipientState::expired, 451, "4.4.1", "connection refused");
  EXPECT_TRUE(has(d.bounce.content, "Status: 4.4.7"));
  EXPECT_TRUE(
      has(d.bounce.content, "delivery time expired; last reply: 451 4.4.1 connection refused"));
}

TEST_F(Bounces, ARemoteSenderIsReachedOverTheRelayRoute) {
  auto m = store("Q4", "carol@elsewhere.test");
  auto d = bounce(m, RecipientState::failed, 550, "5.1.1", "no such user");
  ASSERT_EQ(d.bounce.to.size(), 1u);
  EXPECT_EQ(d.bounce.to[0].route, "relay");
  EXPECT_EQ(d.bounce.to[0].target, "elsewhere.test");
}

// Success notices go wherever MAIL FROM says: only a logged-in sender gets the content back.
TEST_F(Bounces, ASuccessNoticeCarriesTheContentOnlyForALoggedInSender) {
  auto m = store("Q5", "carol@elsewhere.test");
  auto d = bounce(m, RecipientState::delivered, 250, "2.0.0", "ok");
  EXPECT_EQ(d.bounce.meta.id, "Q5S0");
  EXPECT_TRUE(has(d.bounce.content, "Action: relayed") ||
              has(d.bounce.content, "Action: delivered"));
  EXPECT_FALSE(has(d.bounce.content, "secret body"));
  auto own = store("Q6", "alice@example.test", kContent, "", "alice");
  EXPECT_TRUE(has(bounce(own, RecipientState::delivered, 250, "2.0.0", "ok").bounce.content,
                  "secret body"));
}

TEST_F(Bounces, NoneForTheNullSenderALoopOrARefusedSender) {
  auto null = store("Q7", "");
  auto d = bounce(null, RecipientState::failed, 550, "5.1.1", "x");
  EXPECT_EQ(d.bounce.meta.id, "");
  EXPECT_EQ(d.why_not, "the sender is <>");

  std::string looping;
  for (int i = 0; i < 51; ++i)
    looping += "Received: from hop" + std::to_string(i) + "\r\n";
  auto loop = store("Q8", "alice@example.test", looping + kContent);
  d = bounce(loop, RecipientState::failed, 550, "5.1.1", "x");
  EXPECT_EQ(d.bounce.meta.id, "");
  EXPECT_EQ(d.why_not, "more than 50 Received: header fields (a mail loop)");

  auto unknown = store("Q9", "nobody@example.test");
  d = bounce(unknown, RecipientState::failed, 550, "5.1.1", "x");
  EXPECT_EQ(d.bounce.meta.id, "");
  EXPECT_EQ(d.why_not, "the sender <nobody@example.test> is refused: unknown user");
}

TEST(WantsNotice, FailuresByDefaultSuccessOnlyWhenAsked) {
  DeliveryResult failed{0, RecipientState::failed, 0, 550, "5.1.1", "", ""};
  DeliveryResult delivered{0, RecipientState::delivered, 0, 250, "2.0.0", "", ""};
  DeliveryResult pending{0, RecipientState::pending, 0, 451, "4.0.0", "", ""};
  EXPECT_TRUE(wants_notice("", failed));
  EXPECT_FALSE(wants_notice("NEVER", failed));
  EXPECT_TRUE(wants_notice("SUCCESS,FAILURE", failed));
  EXPECT_FALSE(wants_notice("", delivered));
  EXPECT_TRUE(wants_notice("SUCCESS", delivered));
  EXPECT_FALSE(wants_notice("", pending));
  delivered.success_notice = DeliveryResult::SuccessNotice::next_hop;
  EXPECT_FALSE(wants_notice("SUCCESS", delivered)) << "the next hop took NOTIFY on";
}

}  // namespace
}  // namespace mailactor::actors
