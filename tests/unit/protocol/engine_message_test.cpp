// DATA and BDAT through the engine: exact content, smuggling, size and bare-newline policy,
// chunk-boundary invariance, spool failures.
#include <gtest/gtest.h>

#include "engine_harness.hpp"

namespace mailactor::protocol::testing {
namespace {

const std::string kEnvelope =
    "EHLO client.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n";

// Runs a whole session with the client's bytes split at the given positions.
Harness run_split(const std::string& bytes, const std::vector<size_t>& cuts,
                  EngineConfig cfg = {}) {
  Harness h(cfg);
  h.greet();
  size_t pos = 0;
  for (size_t cut : cuts) {
    h.input(std::string_view(bytes).substr(pos, cut - pos));
    pos = cut;
  }
  h.input(std::string_view(bytes).substr(pos));
  return h;
}

TEST(EngineMessage, DataIsStoredExactlyAndUnstuffed) {
  Harness h;
  h.greet();
  std::string out = h.input(kEnvelope + "DATA\r\n");
  EXPECT_EQ(out.substr(out.size() - 37), "354 End data with <CR><LF>.<CR><LF>\r\n");
  EXPECT_EQ(h.input("Subject: hi\r\n\r\n..leading dot\r\n.\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_EQ(h.queued[0], "Subject: hi\r\n\r\n.leading dot\r\n");
  const Envelope& env = h.envelopes[0];
  EXPECT_EQ(env.helo, "client.example");
  EXPECT_EQ(env.mail_from, "a@b.example");
  EXPECT_EQ(env.rcpt_to, std::vector<std::string>{"x@b.example"});
  EXPECT_EQ(env.with_protocol(), "ESMTP");
  EXPECT_EQ(h.engine.messages_accepted(), 1u);
  // The transaction is over; the session goes on.
  EXPECT_EQ(h.input("RCPT TO:<x@b.example>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
}

TEST(EngineMessage, EmptyMessage) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\n.\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_EQ(h.queued[0], "");
}

TEST(EngineMessage, DataWithArgument) {
  Harness h;
  h.greet();
  h.input(kEnvelope);
  EXPECT_EQ(h.input("DATA now\r\n"), "501 5.5.4 Syntax: DATA\r\n");
}

TEST(EngineMessage, NulInContentIsRefusedByDefaultNothingStored) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\n");
  EXPECT_EQ(h.input(std::string("a\0b\r\n.\r\n", 8)),
            "550 5.6.0 Message contains NUL characters\r\n");
  EXPECT_TRUE(h.queued.empty());
  EXPECT_EQ(h.aborted, 1);
  // In a BDAT chunk too.
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input(std::string("BDAT 4 LAST\r\nab\0c", 17)),
            "550 5.6.0 Message contains NUL characters\r\n");
  EXPECT_TRUE(h.queued.empty());
}

TEST(EngineMessage, NulStrippedOnRequestOtherBytesKept) {
  EngineConfig cfg;
  cfg.nul_bytes = NulBytes::strip;
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope + "DATA\r\n" + std::string("a\0b\xff\0\r\n", 7) + ".\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_EQ(h.queued[0], "ab\xff\r\n");
}

TEST(EngineMessage, NulInCommandIsRejected) {
  Harness h;
  h.ehlo();
  EXPECT_EQ(h.input(std::string("NOOP\0x\r\n", 8)),
            "500 5.5.2 Error: bad character in command\r\n");
}

// Each sequence is a near-miss of the end of data. Followed by a smuggled transaction it must
// give exactly one message, whose content holds the smuggled commands.
class Smuggling : public ::testing::TestWithParam<const char*> {};
TEST_P(Smuggling, NeverEndsData) {
  const std::string smuggled =
      "MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@b.example>\r\nDATA\r\n"
      "From: forged\r\n";
  const std::string session =
      kEnvelope + "DATA\r\nSubject: legit\r\n" + GetParam() + smuggled + "\r\n.\r\nQUIT\r\n";
  for (size_t cut = 0; cut <= session.size(); ++cut) {
    Harness h = run_split(session, {cut});
    ASSERT_EQ(h.queued.size(), 1u) << "cut at " << cut;
    EXPECT_NE(h.queued[0].find("MAIL FROM:<evil@attacker.example>"), std::string::npos);
    EXPECT_EQ(h.sender_checks.size(), 1u) << "a smuggled MAIL was executed";
    EXPECT_TRUE(h.closed);
  }
}
INSTANTIATE_TEST_SUITE_P(Variants, Smuggling,
                         ::testing::Values("\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r\n.\r",
                                           "\r.\r\n", "\n.\r", "\r\n.\r\r\n", "\r\n \r\n.",
                                           "\r\n..\r\n"));

TEST(EngineMessage, BareNewlinesNormalised) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\nline1\nline2\rline3\r\n.\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_EQ(h.queued[0], "line1\r\nline2\r\nline3\r\n");
}

TEST(EngineMessage, BareNewlinesRejectedOnRequest) {
  EngineConfig cfg;
  cfg.bare_newline = BareNewline::reject;
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope + "DATA\r\n");
  EXPECT_EQ(h.input("line1\nline2\r\n.\r\n"), "550 5.6.0 Message contains bare CR or LF\r\n");
  EXPECT_TRUE(h.queued.empty());
  EXPECT_EQ(h.aborted, 1);
  EXPECT_EQ(h.input("NOOP\r\n"), "250 2.0.0 Ok\r\n");
}

TEST(EngineMessage, BareNewlinesInBdatRejectedOnRequestNothingStored) {
  EngineConfig cfg;
  cfg.bare_newline = BareNewline::reject;
  for (std::string chunks :
       {"BDAT 6 LAST\r\nab\ncd\n", "BDAT 3\r\nab\rBDAT 3 LAST\r\ncd\n", "BDAT 4 LAST\r\nab\r\r"}) {
    Harness h(cfg);
    h.greet();
    h.input(kEnvelope);
    std::string out = h.input(chunks);
    EXPECT_EQ(out.substr(out.size() - 42), "550 5.6.0 Message contains bare CR or LF\r\n")
        << chunks;
    EXPECT_TRUE(h.queued.empty()) << chunks;
    EXPECT_EQ(h.aborted, 1) << chunks;
  }
  // A CRLF split over two chunks is no bare newline; the last octet a CR is one.
  Harness ok(cfg);
  ok.greet();
  ok.input(kEnvelope);
  EXPECT_EQ(ok.input("BDAT 3\r\nab\rBDAT 3 LAST\r\n\ncd"),
            "250 2.0.0 3 octets received\r\n"
            "250 2.0.0 Ok: queued as Q1\r\n");
  Harness end(cfg);
  end.greet();
  end.input(kEnvelope);
  EXPECT_EQ(end.input("BDAT 3 LAST\r\nab\r"), "550 5.6.0 Message contains bare CR or LF\r\n");
  EXPECT_TRUE(end.queued.empty());
}

TEST(EngineMessage, BinaryMimeBdatKeepsBareNewlinesAndNul) {
  EngineConfig cfg;
  cfg.bare_newline = BareNewline::reject;
  Harness h(cfg);
  h.greet();
  h.input("EHLO c.example\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input(std::string("BDAT 3 LAST\r\n\0\x01\n", 16)), "250 2.0.0 Ok: queued as Q1\r\n");
  EXPECT_EQ(h.queued[0], std::string("\0\x01\n", 3));
}

std::string received_fields(size_t n) {
  std::string h;
  for (size_t i = 0; i < n; ++i)
    h += (i % 2 ? "Received: from hop" : "received:from hop") + std::to_string(i) +
         "\r\n\tby somewhere\r\n";
  return h;
}

TEST(EngineMessage, TooManyHopsRefusedWith554NothingStored) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\n");
  EXPECT_EQ(h.input(received_fields(49) + "Delivered-To: a@b.example\r\n\r\nbody\r\n.\r\n"),
            "554 5.4.6 Too many hops (50 Received:/Delivered-To: header fields): mail loop\r\n");
  EXPECT_TRUE(h.queued.empty());
  EXPECT_EQ(h.aborted, 1);
  // One hop fewer passes, and so do Received: lines in the body.
  h.input(kEnvelope.substr(kEnvelope.find("MAIL")) + "DATA\r\n");
  EXPECT_EQ(h.input(received_fields(49) + "\r\n" + received_fields(10) + ".\r\n"),
            "250 2.0.0 Ok: queued as Q1\r\n");
}

TEST(EngineMessage, HopLimitIsASettingAndSeesBdatAndSplitChunks) {
  EngineConfig cfg;
  cfg.max_hops = 3;
  std::string content = "Received: a\r\nX-Received: no\r\nReceived: b\r\nDelivered-to: c\r\n\r\n";
  for (size_t cut = 1; cut < content.size(); cut += 7) {
    Harness h(cfg);
    h.greet();
    h.input(kEnvelope + "BDAT " + std::to_string(cut) + "\r\n" + content.substr(0, cut));
    h.input("BDAT " + std::to_string(content.size() - cut) + " LAST\r\n" + content.substr(cut));
    EXPECT_NE(h.wire.find("554 5.4.6"), std::string::npos) << cut;
    EXPECT_TRUE(h.queued.empty());
  }
  cfg.max_hops = 0;  // no limit
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope + "DATA\r\n");
  EXPECT_EQ(h.input(received_fields(200) + "\r\n.\r\n"), "250 2.0.0 Ok: queued as Q1\r\n");
}

TEST(EngineMessage, OversizeDataIsReadToTheEndAndRefused) {
  EngineConfig cfg;
  cfg.max_message_size = 100;
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope + "DATA\r\n");
  std::string body;
  for (int i = 0; i < 20; ++i)
    body += "0123456789\r\n";
  EXPECT_EQ(h.input(body + "MAIL FROM:<not@a.command>\r\n.\r\nNOOP\r\n"),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(h.queued.empty());
  EXPECT_EQ(h.aborted, 1);
  EXPECT_EQ(h.sender_checks.size(), 1u);
}

TEST(EngineMessage, SizeLimitIsExact) {
  EngineConfig cfg;
  cfg.max_message_size = 10;
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope + "DATA\r\n12345678\r\n.\r\n");  // 10 octets: fits
  EXPECT_EQ(h.queued.size(), 1u);
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\n123456789\r\n.\r\n");
  EXPECT_EQ(h.queued.size(), 1u);
}

TEST(EngineMessage, PipelinedTransactionsAfterData) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\nfirst\r\n.\r\n" +
          "MAIL FROM:<b@b.example>\r\nRCPT TO:<y@b.example>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n");
  ASSERT_EQ(h.queued.size(), 2u);
  EXPECT_EQ(h.queued[0], "first\r\n");
  EXPECT_EQ(h.queued[1], "second\r\n");
  EXPECT_EQ(h.envelopes[1].mail_from, "b@b.example");
}

TEST(EngineMessage, ChunkBoundariesNeverChangeTheResult) {
  const std::string session = kEnvelope +
                              "DATA\r\n.dot\r\n..two\r\nbare\nlf\rcr\r\n.\r\n\r\n.x\r\n.\r\n"
                              "MAIL FROM:<c@b.example>\r\nRCPT TO:<y@b.example>\r\n"
                              "BDAT 7\r\n\r\n.\r\nabBDAT 3 LAST\r\nxyzQUIT\r\n";
  Harness whole = run_split(session, {});
  ASSERT_EQ(whole.queued.size(), 2u);
  EXPECT_EQ(whole.queued[1], "\r\n.\r\nabxyz");
  for (size_t cut = 0; cut <= session.size(); ++cut) {
    Harness h = run_split(session, {cut});
    EXPECT_EQ(h.queued, whole.queued) << "cut at " << cut;
    EXPECT_EQ(h.wire, whole.wire) << "cut at " << cut;
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < session.size(); ++i)
    every.push_back(i);
  Harness bytewise = run_split(session, every);
  EXPECT_EQ(bytewise.queued, whole.queued);
  EXPECT_EQ(bytewise.wire, whole.wire);
}

TEST(EngineMessage, BdatChunks) {
  Harness h;
  h.greet();
  h.input(kEnvelope);
  EXPECT_EQ(h.input("BDAT 5\r\nab\r\n."), "250 2.0.0 5 octets received\r\n");
  EXPECT_EQ(h.input("BDAT 3 LAST\r\n\r\n."), "250 2.0.0 Ok: queued as Q1\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_EQ(h.queued[0], "ab\r\n.\r\n.");
  EXPECT_TRUE(h.envelopes[0].chunked);
}

TEST(EngineMessage, BdatZeroLast) {
  Harness h;
  h.greet();
  h.input(kEnvelope);
  EXPECT_EQ(h.input("BDAT 4\r\nabcdBDAT 0 LAST\r\n"),
            "250 2.0.0 4 octets received\r\n250 2.0.0 Ok: queued as Q1\r\n");
  EXPECT_EQ(h.queued[0], "abcd");
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input("bdat 0 last\r\n"), "250 2.0.0 Ok: queued as Q2\r\n");
  EXPECT_EQ(h.queued[1], "");
}

TEST(EngineMessage, RefusedBdatStillConsumesItsOctets) {
  Harness h;
  h.ehlo();
  // Without a transaction the 25 octets (which look like a command) must be skipped.
  EXPECT_EQ(h.input("BDAT 25\r\nMAIL FROM:<evil@x.test>\r\nNOOP\r\n"),
            "503 5.5.1 Error: need MAIL command\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(h.sender_checks.empty());
  EXPECT_EQ(h.begun, 0);
}

TEST(EngineMessage, BdatAfterHelo) {
  Harness h;
  h.greet();
  h.input("HELO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input("BDAT 2 LAST\r\nxy"), "503 5.5.1 Error: BDAT requires EHLO\r\n");
  EXPECT_TRUE(h.queued.empty());
}

TEST(EngineMessage, BdatSyntax) {
  Harness h;
  h.greet();
  h.input(kEnvelope);
  for (const char* bad : {"BDAT\r\n", "BDAT x\r\n", "BDAT 5 FIRST\r\n", "BDAT -1\r\n",
                          "BDAT 1234567890123456789\r\n", "BDAT 5 LAST x\r\n"})
    EXPECT_EQ(h.input(bad), "501 5.5.4 Syntax: BDAT count [LAST]\r\n") << bad;
}

TEST(EngineMessage, DataAfterBdatIsRefused) {
  Harness h;
  h.greet();
  h.input(kEnvelope);
  h.input("BDAT 2\r\nab");
  EXPECT_EQ(h.input("DATA\r\n"), "503 5.5.1 Error: DATA cannot be mixed with BDAT\r\n");
  EXPECT_EQ(h.input("RSET\r\n"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.aborted, 1);
  EXPECT_TRUE(h.queued.empty());
}

TEST(EngineMessage, BinaryMimeNeedsBdat) {
  Harness h;
  h.greet();
  h.input("EHLO c.example\r\nMAIL FROM:<a@b.example> BODY=BINARYMIME\r\nRCPT TO:<x@b.example>\r\n");
  EXPECT_EQ(h.input("DATA\r\n"), "503 5.5.1 Error: BODY=BINARYMIME requires BDAT\r\n");
  EXPECT_EQ(h.input(std::string("BDAT 3 LAST\r\n\0\x01\n", 16)), "250 2.0.0 Ok: queued as Q1\r\n");
  EXPECT_EQ(h.envelopes[0].params.body, BodyType::binary_mime);
}

TEST(EngineMessage, BdatOversize) {
  EngineConfig cfg;
  cfg.max_message_size = 5;
  Harness h(cfg);
  h.greet();
  h.input(kEnvelope);
  EXPECT_EQ(h.input("BDAT 4\r\nabcd"), "250 2.0.0 4 octets received\r\n");
  EXPECT_EQ(h.input("BDAT 4\r\nefgh"),
            "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
  EXPECT_EQ(h.input("BDAT 1 LAST\r\nx"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_TRUE(h.queued.empty());
  EXPECT_EQ(h.aborted, 1);
}

TEST(EngineMessage, SpoolFailureDuringData) {
  Harness h;
  h.greet();
  h.input(kEnvelope + "DATA\r\nfirst part\r\n");
  h.apply(h.engine.spool_failed(reply(451, "4.3.2", "Try again later")));
  EXPECT_EQ(h.aborted, 1);
  EXPECT_EQ(h.input("rest\r\n.\r\nNOOP\r\n"), "451 4.3.2 Try again later\r\n250 2.0.0 Ok\r\n");
  EXPECT_TRUE(h.queued.empty());
}

TEST(EngineMessage, SpoolFailureAtCommit) {
  Harness h;
  h.hold_commit = true;
  h.greet();
  h.input(kEnvelope + "DATA\r\nbody\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(h.engine.waiting(), Waiting::host);
  size_t before = h.wire.size();
  h.apply(h.engine.spool_failed(reply(452, "4.3.1", "Insufficient system storage")));
  EXPECT_EQ(h.wire.substr(before), "452 4.3.1 Insufficient system storage\r\n250 2.0.0 Ok\r\n");
  EXPECT_EQ(h.engine.messages_accepted(), 0u);
}

TEST(EngineMessage, SmtpUtf8Envelope) {
  Harness h;
  h.greet();
  h.input(
      "EHLO c.example\r\nMAIL FROM:<j\xc3\xbcrgen@b.example> SMTPUTF8 BODY=8BITMIME\r\n"
      "RCPT TO:<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(h.queued.size(), 1u);
  EXPECT_TRUE(h.envelopes[0].params.smtputf8);
  EXPECT_EQ(h.envelopes[0].params.body, BodyType::eight_bit_mime);
  EXPECT_EQ(h.envelopes[0].mail_from, "j\xc3\xbcrgen@b.example");
}

}  // namespace
}  // namespace mailactor::protocol::testing
