// AUTH (RFC 4954) with PLAIN and LOGIN through the engine.
#include <gtest/gtest.h>

#include "engine_harness.hpp"
#include "protocol/base64.hpp"

namespace mailactor::protocol::testing {
namespace {

EngineConfig auth_config() {
  EngineConfig cfg;
  cfg.auth_mechanisms = {"PLAIN", "LOGIN"};
  cfg.allow_plaintext_auth = true;
  return cfg;
}

std::string plain(std::string_view authzid, std::string_view user, std::string_view pass) {
  std::string raw(authzid);
  raw += '\0';
  raw += user;
  raw += '\0';
  raw += pass;
  return base64_encode(raw);
}

TEST(EngineAuth, PlainWithInitialResponse) {
  Harness h(auth_config());
  h.ehlo();
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "alice", "s3cret") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  ASSERT_EQ(h.auth_calls.size(), 1u);
  EXPECT_EQ(h.auth_calls[0].mechanism, "PLAIN");
  EXPECT_EQ(h.auth_calls[0].user, "alice");
  EXPECT_EQ(h.auth_calls[0].secret, "s3cret");
  EXPECT_EQ(h.engine.auth_user(), "alice");
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "alice", "s3cret") + "\r\n"),
            "503 5.5.1 Error: already authenticated\r\n");
  h.input("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@b.example>\r\nDATA\r\nx\r\n.\r\n");
  ASSERT_EQ(h.envelopes.size(), 1u);
  EXPECT_EQ(h.envelopes[0].auth_user, "alice");
  EXPECT_EQ(h.envelopes[0].with_protocol(), "ESMTPA");
}

TEST(EngineAuth, PlainWithAuthzidAndContinuation) {
  Harness h(auth_config());
  h.ehlo();
  EXPECT_EQ(h.input("auth plain\r\n"), "334 \r\n");
  EXPECT_EQ(h.engine.waiting(), Waiting::command);
  EXPECT_EQ(h.input(plain("boss", "alice", "pw") + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.auth_calls[0].authzid, "boss");
}

TEST(EngineAuth, Login) {
  Harness h(auth_config());
  h.ehlo();
  EXPECT_EQ(h.input("AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(h.input(base64_encode("bob") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(h.input(base64_encode("hunter2") + "\r\n"), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.auth_calls[0].user, "bob");
  EXPECT_EQ(h.auth_calls[0].secret, "hunter2");
}

TEST(EngineAuth, LoginWithInitialResponse) {
  Harness h(auth_config());
  h.ehlo();
  EXPECT_EQ(h.input("AUTH LOGIN " + base64_encode("bob") + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
  EXPECT_EQ(h.input(base64_encode("pw") + "\r\n"), "235 2.7.0 Authentication successful\r\n");
}

TEST(EngineAuth, Failures) {
  Harness h(auth_config());
  h.auth_outcome = AuthOutcome::invalid;
  h.ehlo();
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "alice", "wrong") + "\r\n"),
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_TRUE(h.engine.auth_user().empty());
  h.auth_outcome = AuthOutcome::temporary_failure;
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n"),
            "454 4.7.0 Temporary authentication failure\r\n");
}

TEST(EngineAuth, ProtocolErrors) {
  Harness h(auth_config());
  h.ehlo();
  EXPECT_EQ(h.input("AUTH PLAIN =\r\n"), "501 5.5.2 Invalid PLAIN response\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN !!!!\r\n"), "501 5.5.2 Cannot decode AUTH initial response\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN\r\n*\r\n"), "334 \r\n501 5.0.0 Authentication cancelled\r\n");
  EXPECT_EQ(h.input("AUTH LOGIN\r\nnot base64\r\n"),
            "334 VXNlcm5hbWU6\r\n501 5.5.2 Cannot decode AUTH response\r\n");
  EXPECT_EQ(h.input("AUTH CRAM-MD5\r\n"), "504 5.5.4 Unrecognized authentication type\r\n");
  EXPECT_EQ(h.input("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN " + base64_encode("no-nuls") + "\r\n"),
            "501 5.5.2 Invalid PLAIN response\r\n");
  EXPECT_TRUE(h.auth_calls.empty());
  h.input("MAIL FROM:<a@b.example>\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "a", "b") + "\r\n"),
            "503 5.5.1 Error: MAIL transaction in progress\r\n");
}

TEST(EngineAuth, LongAuthLinesAreAllowed) {
  Harness h(auth_config());
  h.ehlo();
  std::string pw(2000, 'p');
  EXPECT_EQ(h.input("AUTH PLAIN " + plain("", "alice", pw) + "\r\n"),
            "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(h.auth_calls[0].secret, pw);
}

TEST(EngineAuth, NeedsEhloAndTls) {
  EngineConfig cfg = auth_config();
  cfg.allow_plaintext_auth = false;
  Harness h(cfg);
  h.greet();
  h.input("HELO c.example\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN\r\n"), "503 5.5.1 Error: send EHLO first\r\n");
  h.input("EHLO c.example\r\n");
  EXPECT_EQ(h.input("AUTH PLAIN\r\n"),
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

TEST(EngineAuth, RequiredBeforeMail) {
  EngineConfig cfg = auth_config();
  cfg.auth_required = true;
  Harness h(cfg);
  h.ehlo();
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example>\r\n"), "530 5.7.0 Authentication required\r\n");
  h.input("AUTH PLAIN " + plain("", "alice", "pw") + "\r\n");
  EXPECT_EQ(h.input("MAIL FROM:<a@b.example> AUTH=<>\r\n"), "250 2.1.0 Ok\r\n");
}

}  // namespace
}  // namespace mailactor::protocol::testing
