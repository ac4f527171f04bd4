// The outbound client against a scripted next hop (issue 30): what a server (or anyone on the
// path before TLS) sends that no command asked for is never taken as an answer.
#include "actors/outbound/peer_session.hpp"

#include <gtest/gtest.h>

#include "actors/tls/selfsigned.hpp"
#include "actors/tls/tls_context.hpp"
#include "scripted_peer.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::actors::outbound {
namespace {

using mailactor::testing::ScriptedPeer;
using mailactor::testing::TempDir;

struct PeerSessionTest : ::testing::Test {
  PeerSessionTest() {
    tls::write_self_signed(dir.path(), "peer.test");
    server_tls = tls::TlsContext::load({dir / "cert.pem", dir / "key.pem", TLS1_2_VERSION});
    client_tls = SSL_CTX_new(TLS_client_method());
    params.helo = "us.test";
    params.tls = client_tls;
    params.connect_timeout = std::chrono::milliseconds(3000);
    params.timeout = std::chrono::milliseconds(3000);
  }
  ~PeerSessionTest() override { SSL_CTX_free(client_tls); }
  routing::Destination destination(routing::TlsPolicy tls) {
    routing::Destination d;
    d.domain = "peer.test";
    d.tls = tls;
    return d;
  }

  TempDir dir;
  std::shared_ptr<tls::TlsContext> server_tls;
  SSL_CTX* client_tls;
  SessionParams params;
};

// The attack: "220 ready" and a forged EHLO reply in one plaintext write. Taken as the answer
// to our EHLO inside TLS, every reply after it is one off (a DATA's 250 then "delivers").
TEST_F(PeerSessionTest, PlaintextAfterThe220ToStarttlsIsNeverReadInsideTls) {
  for (auto policy : {routing::TlsPolicy::may, routing::TlsPolicy::encrypt}) {
    ScriptedPeer peer([&](ScriptedPeer::Conn& c) {
      c.send("220 peer.test ESMTP\r\n");
      c.line();  // EHLO
      c.send("250-peer.test\r\n250 STARTTLS\r\n");
      c.line();  // STARTTLS
      c.send("220 2.0.0 ready\r\n250-injected.test\r\n250 AUTH PLAIN\r\n");
      if (!c.start_tls(server_tls->raw())) return;
      c.line();  // EHLO, now inside TLS
      c.send("250-peer.test\r\n250 PIPELINING\r\n");
      c.line();  // QUIT
    });
    auto s = open_session(destination(policy), "peer.test", peer.address(), params);
    ASSERT_TRUE(s.tls);
    EXPECT_TRUE(s.caps.pipelining) << "the EHLO reply is the one sent inside TLS";
    EXPECT_FALSE(s.caps.offers_auth("PLAIN")) << "the injected reply was taken";
    close_session(s);
  }
}

TEST_F(PeerSessionTest, AnExtraReplyIsAProtocolErrorNotTheNextCommandsAnswer) {
  ScriptedPeer peer([&](ScriptedPeer::Conn& c) {
    c.send("220 peer.test ESMTP\r\n");
    c.line();
    c.send("250 peer.test\r\n250 2.1.0 ok, for a MAIL not sent yet\r\n");
    c.line();
  });
  auto s = open_session(destination(routing::TlsPolicy::may), "peer.test", peer.address(), params);
  try {
    s.conn->write("MAIL FROM:<a@us.test>\r\n");
    FAIL() << "a reply nobody asked for was left for MAIL";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("protocol error"), std::string::npos) << e.what();
  }
}

TEST_F(PeerSessionTest, AnOddReplyToStarttlsIsAProtocolError) {
  ScriptedPeer peer([&](ScriptedPeer::Conn& c) {
    c.send("220 peer.test ESMTP\r\n");
    c.line();
    c.send("250-peer.test\r\n250 STARTTLS\r\n");
    c.line();
    c.send("250 2.0.0 sure, go on in plaintext\r\n");
    c.line();
  });
  EXPECT_THROW(
      open_session(destination(routing::TlsPolicy::may), "peer.test", peer.address(), params),
      SessionError);
}

// Mail loops (RFC 5321 §6.3): a next hop that greets with our own name is us.
TEST_F(PeerSessionTest, ANextHopNamingUsIsALoop) {
  for (std::string greeting : {"220 US.test ESMTP\r\n", "220 other.test\r\n"}) {
    ScriptedPeer peer([&](ScriptedPeer::Conn& c) {
      c.send(greeting);
      c.line();
      c.send("250-us.test\r\n250 PIPELINING\r\n");
      c.line();
    });
    try {
      open_session(destination(routing::TlsPolicy::may), "peer.test", peer.address(), params);
      FAIL() << "no loop found for " << greeting;
    } catch (const SessionError& e) {
      EXPECT_TRUE(e.loop) << e.what();
      EXPECT_NE(std::string(e.what()).find("loop back to myself"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace mailactor::actors::outbound
