// Session-level rules: greeting, EHLO/HELO, command recognition, sequencing, limits,
// pipelining, STARTTLS, timeouts.
#include <gtest/gtest.h>

#include "engine_harness.hpp"
#include "protocol/address.hpp"

namespace mailactor::protocol::testing {
namespace {

TEST(EngineSession, GreetingHasNoEnhancedCode) {
  Harness h;
  EXPECT_EQ(h.greet(), "220 localhost ESMTP mailactor\r\n");
}

TEST(EngineSession, EhloListsExtensions) {
  EngineConfig cfg;
  cfg.hostname = "mx.example.test";
  cfg.max_message_size = 1000;
  Harness h(cfg);
  EXPECT_EQ(h.ehlo(),
            "250-mx.example.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-8BITMIME\r\n"
            "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-BINARYMIME\r\n"
            "250 DSN\r\n");
}

TEST(EngineSession, StartTlsAndAuthAdvertisedOnlyWhenEnabled) {
  EngineConfig cfg;
  cfg.starttls = true;
  cfg.auth_mechanisms = {"PLAIN", "LOGIN"};
  Harness h(cfg);
  std::string r = h.ehlo();
  EXPECT_NE(r.find("250 STARTTLS\r\n"), std::string::npos);
  EXPECT_EQ(r.find("AUTH"), std::string::npos) << "AUTH must wait for TLS";

  cfg.allow_plaintext_auth = true;
  Harness plain(cfg);
  EXPECT_NE(plain.ehlo().find("AUTH PLAIN LOGIN\r\n"), std::string::npos);

  cfg.allow_plaintext_auth = false;
  cfg.starttls = false;
  cfg.tls_active = true;  // implicit TLS
  Harness implicit(cfg);
  r = implicit.ehlo();
  EXPECT_NE(r.find("AUTH PLAIN LOGIN\r\n"), std::string::npos);
  EXPECT_EQ(r.find("STARTTLS"), std::string::npos);
}

TEST(EngineSession, HeloIsPlainSmtp) {
  Harness h;
  h.greet();
  EXPECT_EQ(h.input("HELO client.example\r\n"), "250 localhost\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> SIZE=10\r\n"),
            "555 5.5.4 Unsupported or malformed MAIL parameter\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
}

struct CodeCase {
  const char* input;
  const char* reply;  // first line expected
};

class EhloArgument : public ::testing::TestWithParam<CodeCase> {};
TEST_P(EhloArgument, Validated) {
  Harness h;
  h.greet();
  EXPECT_EQ(first_line(h.input(GetParam().input)), GetParam().reply);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, EhloArgument,
    ::testing::Values(CodeCase{"EHLO\r\n", "501 5.5.4 Syntax: EHLO hostname"},
                      CodeCase{"EHLO \r\n", "501 5.5.4 Syntax: EHLO hostname"},
                      CodeCase{"EHLO a b\r\n", "501 5.5.4 Syntax: EHLO hostname"},
                      CodeCase{"EHLO bad!name\r\n", "501 5.5.4 Syntax: EHLO hostname"},
                      CodeCase{"EHLO [300.1.1.1]\r\n", "501 5.5.4 Syntax: EHLO hostname"},
                      CodeCase{"HELO\r\n", "501 5.5.4 Syntax: HELO hostname"},
                      CodeCase{"EHLO [192.0.2.1]\r\n", "250-localhost"},
                      CodeCase{"EHLO [IPv6:2001:db8::1]\r\n", "250-localhost"},
                      CodeCase{"EHLO WIN_PC.local\r\n", "250-localhost"},
                      CodeCase{"ehlo client.example\r\n", "250-localhost"}));

class CommandReply : public ::testing::TestWithParam<CodeCase> {};
TEST_P(CommandReply, AfterEhlo) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(first_line(h.input(GetParam().input)), GetParam().reply);
}
INSTANTIATE_TEST_SUITE_P(
    Cases, CommandReply,
    ::testing::Values(
        CodeCase{"FOO\r\n", "500 5.5.2 Error: command not recognized"},
        CodeCase{"\r\n", "500 5.5.2 Error: command not recognized"},
        CodeCase{"MAIL\x01FROM\r\n", "500 5.5.2 Error: bad character in command"},
        CodeCase{"EXPN staff\r\n", "502 5.5.1 Error: EXPN not supported"},
        CodeCase{"STARTTLS\r\n", "502 5.5.1 Error: STARTTLS not enabled"},
        CodeCase{"AUTH PLAIN\r\n", "502 5.5.1 Error: AUTH not enabled"},
        CodeCase{"VRFY root\r\n",
                 "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"},
        CodeCase{"VRFY\r\n", "501 5.5.4 Syntax: VRFY address"},
        CodeCase{"HELP\r\n",
                 "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP "
                 "STARTTLS AUTH"},
        CodeCase{"NOOP\r\n", "250 2.0.0 Ok"}, CodeCase{"noop\r\n", "250 2.0.0 Ok"},
        CodeCase{"RSET\r\n", "250 2.0.0 Ok"}, CodeCase{"RSET x\r\n", "501 5.5.4 Syntax: RSET"},
        CodeCase{"RCPT TO:<a@b.example>\r\n", "503 5.5.1 Error: need MAIL command"},
        CodeCase{"DATA\r\n", "503 5.5.1 Error: need MAIL command"},
        CodeCase{"MAIL TO:<a@b.example>\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>"},
        CodeCase{"MAIL FROM:a@b.example\r\n", "501 5.1.7 Bad sender address syntax"},
        CodeCase{"MAIL FROM:<a@@b>\r\n", "501 5.1.7 Bad sender address syntax"},
        CodeCase{"MAIL FROM:<a@b.example> SIZE=99999999999\r\n",
                 "552 5.3.4 Message size exceeds fixed maximum message size"},
        CodeCase{"MAIL FROM:<a@b.example> SIZE=abc\r\n", "501 5.5.4 Bad SIZE parameter"},
        CodeCase{"MAIL FROM:<a@b.example> FOO=bar\r\n", "555 5.5.4 Unsupported parameter FOO"},
        CodeCase{"MAIL FROM:<a@b.example> =x\r\n",
                 "555 5.5.4 Unsupported or malformed MAIL parameter"},
        CodeCase{"MAIL FROM:<a@b.example> BODY=8BITMIME BODY=7BIT\r\n",
                 "555 5.5.4 Unsupported or malformed MAIL parameter"},
        CodeCase{"MAIL FROM:<a@b.example> BODY=9BIT\r\n", "555 5.5.4 Unsupported BODY parameter"},
        CodeCase{"MAIL FROM:<a@b.example>SIZE=1\r\n", "501 5.1.7 Bad sender address syntax"},
        CodeCase{"MAIL FROM:<j\xc3\xbcrgen@b.example>\r\n",
                 "553 5.6.7 Non-ASCII address requires SMTPUTF8"},
        CodeCase{"MAIL FROM:<j\xc3\xbcrgen@b.example> SMTPUTF8\r\n", "250 2.1.0 Ok"},
        CodeCase{"MAIL FROM:<j\xc3rgen@b.example> SMTPUTF8\r\n",
                 "501 5.1.7 Bad sender address syntax"},
        CodeCase{"MAIL FROM:<> BODY=8BITMIME SIZE=100\r\n", "250 2.1.0 Ok"},
        CodeCase{"MAIL FROM: <a@b.example>\r\n", "250 2.1.0 Ok"},
        CodeCase{"mail from:<a@b.example>\r\n", "250 2.1.0 Ok"},
        CodeCase{"MAIL FROM:<@r1.example,@r2.example:a@b.example>\r\n", "250 2.1.0 Ok"}));

TEST(EngineSession, MailBeforeHelo) {
  Harness h;
  h.greet();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
}

TEST(EngineSession, NestedMail) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Error: nested MAIL command\r\n");
}

TEST(EngineSession, RecipientRules) {
  Harness h;
  h.recipient_policy = [](const std::string& a) {
    return a == "relay@elsewhere.example"
               ? Verdict::reject(reply(550, "5.7.1", "Relay access denied"))
               : Verdict::accept();
  };
  h.ehlo();
  h.input("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(h.input("RCPT TO:<>\r\n"), "501 5.1.3 Bad recipient address syntax\r\n");
  EXPECT_EQ(h.input("RCPT FROM:<x@y.example>\r\n"), "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
  EXPECT_EQ(h.input("RCPT TO:<x@y.example> FOO=1\r\n"), "555 5.5.4 Unsupported parameter FOO\r\n");
  EXPECT_EQ(h.input("RCPT TO:<relay@elsewhere.example>\r\n"), "550 5.7.1 Relay access denied\r\n");
  EXPECT_EQ(h.input("RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(h.input("RCPT TO:<\"john doe\"@b.example>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(h.recipient_checks.back(), "\"john doe\"@b.example");
}

TEST(EngineSession, DsnParameters) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> RET=MAYBE\r\n"), "501 5.5.4 Bad RET parameter\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> ENVID=a=b\r\n"),
            "555 5.5.4 Unsupported or malformed MAIL parameter\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> ENVID=a+2\r\n"), "501 5.5.4 Bad ENVID parameter\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> RET=HDRS RET=FULL\r\n"),
            "555 5.5.4 Unsupported or malformed MAIL parameter\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> ret=hdrs ENVID=QQ+2B314\r\n"), "250 2.1.0 Ok\r\n");
  for (const char* bad :
       {"NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS,SUCCESS", "NOTIFY=SOMETIMES", "NOTIFY=,"})
    EXPECT_EQ(h.input(std::string("RCPT TO:<x@y.example> ") + bad + "\r\n"),
              "501 5.5.4 Bad NOTIFY parameter\r\n")
        << bad;
  for (const char* bad : {"ORCPT=alice@x", "ORCPT=;a@b", "ORCPT=rfc822;a+zz"})
    EXPECT_EQ(h.input(std::string("RCPT TO:<x@y.example> ") + bad + "\r\n"),
              "501 5.5.4 Bad ORCPT parameter\r\n")
        << bad;
  EXPECT_EQ(
      h.input("RCPT TO:<x@y.example> notify=success,failure ORCPT=rfc822;x+2Btag@y.example\r\n"),
      "250 2.1.5 Ok\r\n");
  EXPECT_EQ(h.recipient_params.back().notify, "SUCCESS,FAILURE");
  EXPECT_EQ(h.recipient_params.back().orcpt, "rfc822;x+2Btag@y.example");
  EXPECT_EQ(h.input("RCPT TO:<z@y.example> NOTIFY=NEVER\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(h.recipient_params.back().notify, "NEVER");
  h.input("DATA\r\n");
  h.input("x\r\n.\r\n");
  ASSERT_EQ(h.envelopes.size(), 1u);
  EXPECT_EQ(h.envelopes[0].params.ret, "HDRS");
  EXPECT_EQ(h.envelopes[0].params.envid, "QQ+2B314");
  EXPECT_EQ(decode_xtext("QQ+2B314"), "QQ+314");
  EXPECT_TRUE(is_xtext("rfc822;a+40b"));
  EXPECT_FALSE(is_xtext("+4"));
}

TEST(EngineSession, DataWithoutValidRecipients) {
  Harness h;
  h.recipient_policy = [](const std::string&) {
    return Verdict::reject(reply(550, "5.1.1", "No such user"));
  };
  h.ehlo();
  h.input("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(h.input("DATA\r\n"), "503 5.5.1 Error: need RCPT command\r\n");
  h.input("RCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
  EXPECT_EQ(h.begun, 0);
}

TEST(EngineSession, RecipientLimit) {
  EngineConfig cfg;
  cfg.max_recipients = 2;
  Harness h(cfg);
  h.ehlo();
  h.input("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(h.input("RCPT TO:<1@b.example>\r\nRCPT TO:<2@b.example>\r\nRCPT TO:<3@b.example>\r\n"),
            "250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n");
  EXPECT_EQ(h.recipient_checks.size(), 2u);
}

TEST(EngineSession, SenderRejectedByPolicy) {
  Harness h;
  h.sender_policy = [](const std::string&) {
    return Verdict::reject(reply(451, "4.3.2", "Try again later"));
  };
  h.ehlo();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "451 4.3.2 Try again later\r\n");
  EXPECT_EQ(h.input("RCPT TO:<x@b.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
}

TEST(EngineSession, RsetAndEhloClearTheTransaction) {
  Harness h;
  h.ehlo();
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input("RSET\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.input("RCPT TO:<x@b.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n");
  h.input("EHLO again.example\r\n");
  EXPECT_EQ(h.input("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(h.engine.helo(), "again.example");
}

TEST(EngineSession, QuitClosesAndIgnoresTheRest) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(h.input("QUIT\r\nNOOP\r\n"), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(h.closed);
  EXPECT_EQ(h.engine.waiting(), Waiting::closed);
  EXPECT_EQ(h.input("NOOP\r\n"), "");
}

TEST(EngineSession, LineLengthLimit) {
  Harness h;
  h.ehlo();
  std::string ok = "NOOP " + std::string(505, 'x') + "\r\n";  // 512 octets with CRLF
  ASSERT_EQ(ok.size(), 512u);
  EXPECT_EQ(h.input(ok), "250 2.0.0 Ok\r\n");
  std::string too_long = "NOOP " + std::string(506, 'x') + "\r\n";
  EXPECT_EQ(h.input(too_long), "500 5.5.6 Line too long\r\n");
  EXPECT_EQ(h.input("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(EngineSession, EndlessLineKeepsBufferBounded) {
  Harness h;
  h.ehlo();
  std::string chunk(4096, 'A');
  size_t peak = 0;
  for (int i = 0; i < 10 * 256; ++i) {  // 10 MiB without a line end
    EXPECT_EQ(h.input(chunk), "");
    peak = std::max(peak, h.engine.buffered_bytes());
  }
  EXPECT_LT(peak, 512u);
  EXPECT_EQ(h.input("\r\nNOOP\r\n"), "500 5.5.6 Line too long\r\n250 2.0.0 Ok\r\n");
}

TEST(EngineSession, PipelinedRepliesInOrderAndBatched) {
  Harness h;
  h.ehlo();
  size_t sends_before = h.sends;
  std::string out = h.input(
      "MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nRCPT TO:<y@b.example>\r\n"
      "NOOP\r\nRSET\r\nBOGUS\r\n");
  EXPECT_EQ(out,
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
            "500 5.5.2 Error: command not recognized\r\n");
  // Replies that wait on no host answer leave in one write; each host check flushes first.
  EXPECT_LE(h.sends - sends_before, 4u);
}

TEST(EngineSession, PipelinedInputWaitsForHostAnswers) {
  // A host that answers later: input stays buffered and is processed after the answer.
  Engine e{EngineConfig{}};
  e.greet();
  e.input("EHLO c.example\r\n");
  Actions a = e.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nNOOP\r\n");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<action::CheckSender>(a[0]));
  EXPECT_EQ(e.waiting(), Waiting::host);
  EXPECT_FALSE(e.wants_input());
  a = e.sender_checked(Verdict::accept());
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(std::get<action::Send>(a[0]).bytes, "250 2.1.0 Ok\r\n");
  EXPECT_EQ(std::get<action::CheckRecipient>(a[1]).address, "x@b.example");
  a = e.recipient_checked(Verdict::accept());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(std::get<action::Send>(a[0]).bytes, "250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(e.wants_input());
}

TEST(EngineSession, StartTlsDiscardsPipelinedPlaintext) {
  EngineConfig cfg;
  cfg.starttls = true;
  Harness h(cfg);
  h.ehlo();
  EXPECT_EQ(h.input("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@x.example>\r\n"),
            "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(h.tls_starts, 1);
  EXPECT_EQ(h.engine.waiting(), Waiting::tls);
  EXPECT_EQ(h.input("NOOP\r\n"), "") << "bytes before the handshake completes are discarded";
  h.apply(h.engine.tls_started());
  EXPECT_TRUE(h.engine.tls_active());
  EXPECT_EQ(h.sender_checks.size(), 0u);
  // State was reset to before EHLO.
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  std::string ehlo = h.input("EHLO c.example\r\n");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_EQ(h.input("STARTTLS\r\n"), "503 5.5.1 Error: TLS already active\r\n");
}

TEST(EngineSession, StartTlsUnavailable) {
  EngineConfig cfg;
  cfg.starttls = true;
  Harness h(cfg);
  h.engine.set_tls_available(false);
  h.ehlo();
  EXPECT_EQ(h.input("STARTTLS\r\nNOOP\r\n"),
            "454 4.7.0 TLS not available due to temporary reason\r\n250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.tls_starts, 0);
}

TEST(EngineSession, StartTlsWithArgument) {
  EngineConfig cfg;
  cfg.starttls = true;
  Harness h(cfg);
  h.ehlo();
  EXPECT_EQ(h.input("STARTTLS now\r\n"), "501 5.5.4 Syntax: STARTTLS\r\n");
}

TEST(EngineSession, RequireTls) {
  EngineConfig cfg;
  cfg.starttls = true;
  cfg.require_tls = true;
  Harness h(cfg);
  h.ehlo();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"),
            "530 5.7.0 Must issue a STARTTLS command first\r\n");
}

TEST(EngineSession, TooManyErrors) {
  EngineConfig cfg;
  cfg.max_errors = 3;
  Harness h(cfg);
  h.ehlo();
  EXPECT_EQ(h.input("X\r\nY\r\nZ\r\nNOOP\r\n"),
            "500 5.5.2 Error: command not recognized\r\n500 5.5.2 Error: command not "
            "recognized\r\n500 5.5.2 Error: command not recognized\r\n421 4.7.0 localhost "
            "Error: too many errors\r\n");
  EXPECT_TRUE(h.closed);
}

TEST(EngineSession, MessagesPerSessionLimit) {
  EngineConfig cfg;
  cfg.max_messages = 2;
  Harness h(cfg);
  h.ehlo();
  for (int i = 0; i < 2; ++i)
    h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\nx\r\n.\r\n");
  EXPECT_EQ(h.queued.size(), 2u);
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"),
            "421 4.7.0 localhost Error: too many messages in this session\r\n");
  EXPECT_TRUE(h.closed);
}

TEST(EngineSession, TimeoutAndShutdown) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(h.engine.waiting(), Waiting::command);
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\npartial");
  EXPECT_EQ(h.engine.waiting(), Waiting::data);
  size_t before = h.wire.size();
  h.apply(h.engine.timeout());
  EXPECT_EQ(h.wire.substr(before), "421 4.4.2 localhost Error: timeout exceeded\r\n");
  EXPECT_EQ(h.aborted, 1);
  EXPECT_TRUE(h.closed);
  EXPECT_TRUE(h.queued.empty());

  Harness s;
  s.ehlo();
  before = s.wire.size();
  s.apply(s.engine.shutdown());
  EXPECT_EQ(s.wire.substr(before), "421 4.3.2 localhost Service shutting down\r\n");
}

TEST(EngineSession, EveryReplyAfterGreetingHasEnhancedCode) {
  EngineConfig cfg;
  cfg.auth_mechanisms = {"PLAIN"};
  cfg.allow_plaintext_auth = true;
  Harness h(cfg);
  h.ehlo();
  size_t skip = h.replies().size();  // greeting and EHLO are exempt (RFC 2034 §3)
  h.input(
      "NOOP\r\nFOO\r\nVRFY x\r\nHELP\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"
      "DATA\r\nhi\r\n.\r\nBDAT 1\r\nxRSET\r\nEXPN a\r\nRCPT TO:<a>\r\nQUIT\r\n");
  auto replies = h.replies();
  ASSERT_GT(replies.size(), skip + 10);
  for (size_t i = skip; i < replies.size(); ++i) {
    if (replies[i].code == 354 || replies[i].code == 334) continue;
    EXPECT_FALSE(replies[i].status.empty()) << replies[i].summary();
  }
}

}  // namespace
}  // namespace mailactor::protocol::testing
