#include "protocol/lmtp_transaction.hpp"

#include <gtest/gtest.h>

namespace mailactor::protocol {
namespace {

using Next = LmtpTransaction::Next;

std::vector<int> codes(const LmtpTransaction& t) {
  std::vector<int> out;
  for (const auto& r : t.results())
    out.push_back(r ? r->code : 0);
  return out;
}

TEST(LmtpTransaction, PipelinesMailRcptsAndData) {
  LmtpTransaction t("s@x.test", {"a@y.test", "b@y.test"});
  EXPECT_EQ(t.commands(),
            "MAIL FROM:<s@x.test>\r\nRCPT TO:<a@y.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
  LmtpTransaction bounce("", {"a@y.test"});
  EXPECT_EQ(bounce.commands().substr(0, 13), "MAIL FROM:<>\r");
}

TEST(LmtpTransaction, OneReplyPerAcceptedRecipientAfterTheData) {
  LmtpTransaction t("s@x.test", {"a@y.test", "nobody@y.test", "b@y.test", "c@y.test"});
  EXPECT_EQ(t.on_reply(reply(250, "2.1.0", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(550, "5.1.1", "User doesn't exist: nobody")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(354, "", "go ahead")), Next::send_content);
  EXPECT_EQ(t.on_reply(reply(250, "2.0.0", "<a@y.test> Saved")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(552, "5.2.2", "<b@y.test> Quota exceeded")), Next::read_reply);
  EXPECT_FALSE(t.done());
  EXPECT_EQ(t.on_reply(reply(451, "4.3.0", "<c@y.test> Temporary failure")), Next::done);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(codes(t), (std::vector<int>{250, 550, 552, 451}));
  EXPECT_EQ(t.results()[2]->status, "5.2.2");
  EXPECT_FALSE(t.connection_unusable());
}

TEST(LmtpTransaction, MailRefusedGivesEveryRecipientThatReply) {
  LmtpTransaction t("s@x.test", {"a@y.test", "b@y.test"});
  t.on_reply(reply(452, "4.3.1", "Insufficient system storage"));
  t.on_reply(reply(503, "5.5.1", "MAIL first"));
  t.on_reply(reply(503, "5.5.1", "MAIL first"));
  EXPECT_EQ(t.on_reply(reply(503, "5.5.1", "no valid recipients")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{452, 452}));
}

TEST(LmtpTransaction, NoRecipientAcceptedEndsAtData) {
  LmtpTransaction t("s@x.test", {"a@y.test"});
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(554, "5.5.1", "no valid recipients")), Next::done);
  EXPECT_EQ(codes(t), std::vector<int>{550});
}

TEST(LmtpTransaction, DataRefusedSettlesTheAcceptedOnes) {
  LmtpTransaction t("s@x.test", {"a@y.test", "b@y.test"});
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(250, "2.1.5", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(451, "4.3.0", "try later")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{451, 550}));
}

TEST(LmtpTransaction, Data354WithoutAcceptedRecipientSpendsTheConnection) {
  LmtpTransaction t("s@x.test", {"a@y.test"});
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(354, "", "go ahead")), Next::done);
  EXPECT_TRUE(t.connection_unusable());
  EXPECT_EQ(codes(t), std::vector<int>{550});
}

TEST(LmtpTransaction, NoRecipientsIsDoneAtOnce) {
  LmtpTransaction t("s@x.test", {});
  EXPECT_TRUE(t.done());
}

}  // namespace
}  // namespace mailactor::protocol
