#include "protocol/client_transaction.hpp"

#include <gtest/gtest.h>

namespace mailactor::protocol {
namespace {

using Next = ClientTransaction::Next;
const TransactionOptions kLmtp{true, true, "", {}};

std::vector<int> codes(const ClientTransaction& t) {
  std::vector<int> out;
  for (const auto& r : t.results())
    out.push_back(r ? r->code : 0);
  return out;
}

TEST(LmtpTransaction, PipelinesMailRcptsAndData) {
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, kLmtp);
  EXPECT_EQ(t.commands(),
            "MAIL FROM:<s@x.test>\r\nRCPT TO:<a@y.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
  ClientTransaction bounce("", {"a@y.test"}, kLmtp);
  EXPECT_EQ(bounce.commands().substr(0, 13), "MAIL FROM:<>\r");
}

TEST(SmtpTransaction, RecipientParametersFollowEachRcptPipelinedOrNot) {
  TransactionOptions o{false, true, " RET=HDRS", {" NOTIFY=SUCCESS ORCPT=rfc822;a@y.test"}};
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, o);
  EXPECT_EQ(t.commands(),
            "MAIL FROM:<s@x.test> RET=HDRS\r\nRCPT TO:<a@y.test> NOTIFY=SUCCESS "
            "ORCPT=rfc822;a@y.test\r\nRCPT TO:<b@y.test>\r\nDATA\r\n");
  o.pipelining = false;
  o.rcpt_params = {"", " NOTIFY=NEVER"};
  ClientTransaction lockstep("s@x.test", {"a@y.test", "b@y.test"}, o);
  EXPECT_EQ(lockstep.on_reply(reply(250, "2.1.0", "ok")), Next::read_reply);
  EXPECT_EQ(lockstep.take_command(), "RCPT TO:<a@y.test>\r\n");
  EXPECT_EQ(lockstep.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(lockstep.take_command(), "RCPT TO:<b@y.test> NOTIFY=NEVER\r\n");
}

TEST(LmtpTransaction, OneReplyPerAcceptedRecipientAfterTheData) {
  ClientTransaction t("s@x.test", {"a@y.test", "nobody@y.test", "b@y.test", "c@y.test"}, kLmtp);
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
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, kLmtp);
  t.on_reply(reply(452, "4.3.1", "Insufficient system storage"));
  t.on_reply(reply(503, "5.5.1", "MAIL first"));
  t.on_reply(reply(503, "5.5.1", "MAIL first"));
  EXPECT_EQ(t.on_reply(reply(503, "5.5.1", "no valid recipients")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{452, 452}));
}

TEST(LmtpTransaction, NoRecipientAcceptedEndsAtData) {
  ClientTransaction t("s@x.test", {"a@y.test"}, kLmtp);
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(554, "5.5.1", "no valid recipients")), Next::done);
  EXPECT_EQ(codes(t), std::vector<int>{550});
}

TEST(LmtpTransaction, DataRefusedSettlesTheAcceptedOnes) {
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, kLmtp);
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(250, "2.1.5", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(451, "4.3.0", "try later")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{451, 550}));
}

TEST(LmtpTransaction, Data354WithoutAcceptedRecipientSpendsTheConnection) {
  ClientTransaction t("s@x.test", {"a@y.test"}, kLmtp);
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(550, "5.1.1", "unknown"));
  EXPECT_EQ(t.on_reply(reply(354, "", "go ahead")), Next::done);
  EXPECT_TRUE(t.connection_unusable());
  EXPECT_EQ(codes(t), std::vector<int>{550});
}

TEST(LmtpTransaction, NoRecipientsIsDoneAtOnce) {
  ClientTransaction t("s@x.test", {}, kLmtp);
  EXPECT_TRUE(t.done());
}

TEST(SmtpTransaction, OneReplyAfterTheContentForEveryAcceptedRecipient) {
  ClientTransaction t("s@x.test", {"a@y.test", "nobody@y.test", "b@y.test"},
                      {false, true, " SIZE=10", {}});
  EXPECT_EQ(t.commands().substr(0, 30), "MAIL FROM:<s@x.test> SIZE=10\r\n");
  EXPECT_EQ(t.on_reply(reply(250, "2.1.0", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(550, "5.1.1", "no")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(354, "", "go")), Next::send_content);
  EXPECT_EQ(t.on_reply(reply(451, "4.3.0", "later")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{451, 550, 451}));
  EXPECT_FALSE(t.needs_reset());
}

TEST(SmtpTransaction, WithoutPipeliningOneCommandPerReply) {
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, {false, false, "", {}});
  EXPECT_EQ(t.commands(), "MAIL FROM:<s@x.test>\r\n");
  EXPECT_EQ(t.on_reply(reply(250, "2.1.0", "ok")), Next::read_reply);
  EXPECT_EQ(t.take_command(), "RCPT TO:<a@y.test>\r\n");
  EXPECT_EQ(t.on_reply(reply(550, "5.1.1", "no")), Next::read_reply);
  EXPECT_EQ(t.take_command(), "RCPT TO:<b@y.test>\r\n");
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::read_reply);
  EXPECT_EQ(t.take_command(), "DATA\r\n");
  EXPECT_EQ(t.on_reply(reply(354, "", "go")), Next::send_content);
  EXPECT_EQ(t.on_reply(reply(250, "2.0.0", "queued")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{550, 250}));
}

TEST(SmtpTransaction, WithoutPipeliningNoAcceptedRecipientSendsNoData) {
  ClientTransaction t("s@x.test", {"a@y.test"}, {false, false, "", {}});
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.take_command();
  EXPECT_EQ(t.on_reply(reply(450, "4.2.0", "greylisted")), Next::done);
  EXPECT_EQ(t.take_command(), "");
  EXPECT_EQ(codes(t), (std::vector<int>{450}));
  EXPECT_TRUE(t.needs_reset());
}

TEST(SmtpTransaction, WithoutPipeliningMailRefusedEndsAtOnce) {
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, {false, false, "", {}});
  EXPECT_EQ(t.on_reply(reply(552, "5.3.4", "too big")), Next::done);
  EXPECT_EQ(codes(t), (std::vector<int>{552, 552}));
  EXPECT_TRUE(t.needs_reset());
}

// Attack shapes (held-out suite, issue 30): a next hop whose replies do not answer the commands
// they follow must never get recipients recorded as delivered.
void expect_desync(const ClientTransaction& t) {
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.protocol_error());
  EXPECT_TRUE(t.connection_unusable());
  for (const auto& r : t.results()) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->code, 451);
    EXPECT_EQ(r->status, "4.5.0");
  }
}

TEST(SmtpTransaction, A250ToDataIsAProtocolErrorNotADelivery) {
  for (bool pipelining : {true, false}) {
    ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, {false, pipelining, "", {}});
    t.on_reply(reply(250, "2.1.0", "ok"));
    t.on_reply(reply(250, "2.1.5", "ok"));
    t.on_reply(reply(250, "2.1.5", "ok"));
    EXPECT_EQ(t.on_reply(reply(250, "2.0.0", "queued, no content needed")), Next::done);
    expect_desync(t);
  }
}

TEST(SmtpTransaction, EveryStageRefusesAReplyClassItCannotHave) {
  const std::vector<Reply> odd = {reply(354, "", "go"),     reply(334, "", "x"),
                                  reply(220, "", "hi"),     reply(199, "", "early"),
                                  reply(600, "", "beyond"), reply(999, "", "beyond")};
  for (const auto& bad : odd) {
    ClientTransaction data("s@x.test", {"a@y.test"}, {false, true, "", {}});
    data.on_reply(reply(250, "2.1.0", "ok"));
    data.on_reply(reply(250, "2.1.5", "ok"));
    if (bad.code != 354) {
      EXPECT_EQ(data.on_reply(bad), Next::done) << bad.code;
      expect_desync(data);
    }
    if (bad.code / 100 == 2) continue;  // success, where the others may have it
    ClientTransaction mail("s@x.test", {"a@y.test"}, {false, true, "", {}});
    EXPECT_EQ(mail.on_reply(bad), Next::done) << bad.code;
    expect_desync(mail);
    ClientTransaction rcpt("s@x.test", {"a@y.test"}, {false, true, "", {}});
    rcpt.on_reply(reply(250, "2.1.0", "ok"));
    EXPECT_EQ(rcpt.on_reply(bad), Next::done) << bad.code;
    expect_desync(rcpt);
    ClientTransaction content("s@x.test", {"a@y.test"}, {false, true, "", {}});
    content.on_reply(reply(250, "2.1.0", "ok"));
    content.on_reply(reply(250, "2.1.5", "ok"));
    content.on_reply(reply(354, "", "go"));
    EXPECT_EQ(content.on_reply(bad), Next::done) << bad.code;
    expect_desync(content);
  }
}

TEST(SmtpTransaction, AnExtraReplyShiftsTheRestIntoAProtocolError) {
  // MAIL answered twice: the RCPT takes the extra 250, DATA the RCPT's 250: caught at DATA.
  ClientTransaction t("s@x.test", {"a@y.test"}, {false, true, "", {}});
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(250, "2.1.0", "ok again"));
  EXPECT_EQ(t.on_reply(reply(250, "2.1.5", "ok")), Next::done);
  expect_desync(t);
}

TEST(LmtpTransaction, ARecipientsContentReplyOfAnOddClassIsAProtocolError) {
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test"}, kLmtp);
  t.on_reply(reply(250, "2.1.0", "ok"));
  t.on_reply(reply(250, "2.1.5", "ok"));
  t.on_reply(reply(250, "2.1.5", "ok"));
  t.on_reply(reply(354, "", "go"));
  EXPECT_EQ(t.on_reply(reply(250, "2.0.0", "a saved")), Next::read_reply);
  EXPECT_EQ(t.on_reply(reply(354, "", "again?")), Next::done);
  EXPECT_TRUE(t.protocol_error());
  EXPECT_TRUE(t.connection_unusable());
  EXPECT_EQ(codes(t), (std::vector<int>{250, 451}));
}

}  // namespace
}  // namespace mailactor::protocol
