// The relay target against a scripted next hop (a smarthost on 127.0.0.1): what the peer
// answers, or fails to, at each step decides each recipient's result, and nothing is recorded
// delivered unless the content was taken (issue 30's desync and injection shapes included).
#include "actors/outbound/relay_target.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <functional>
#include <thread>

#include "actors/tls/selfsigned.hpp"
#include "actors/tls/tls_context.hpp"
#include "storage/unix_time.hpp"
#include "tests/actor/actor_fixture.hpp"
#include "tests/unit/actors/outbound/scripted_peer.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;
using Conn = mailactor::testing::ScriptedPeer::Conn;
using mailactor::testing::ScriptedPeer;
using storage::RecipientState;

const std::string kContent = "Subject: out\r\n\r\nhello\r\n.a dotted line\r\n";

struct RelayFixture : SpoolFixture {
  RelayFixture() {
    start_spool();
    tls::write_self_signed(dir.path(), "peer.test");
    server_tls = tls::TlsContext::load({dir / "cert.pem", dir / "key.pem", TLS1_2_VERSION});
  }

  // A message from alice@example.test to bob@far.test, committed.
  void store(const std::string& id, const std::string& params = "") {
    storage::MessageMeta m;
    m.id = id;
    m.mail_from = "alice@example.test";
    m.rcpt_to = {"bob@far.test"};
    m.params = params;
    m.received_at = storage::unix_now();
    caf::scoped_actor self{system};
    self->request(writer, std::chrono::seconds(5), commit_atom::value, m,
                  std::vector<storage::RoutedRecipient>{
                      {"bob@far.test", "bob@far.test", "relay", "far.test", "", ""}},
                  kContent)
        .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  }

  delivery_target_actor target(uint16_t port, routing::TlsPolicy tls = routing::TlsPolicy::may) {
    auto policy = std::make_shared<routing::RelaySettings>();
    policy->enabled = true;
    routing::Smarthost sh;
    sh.host = "127.0.0.1";
    sh.port = port;
    sh.tls = tls;
    policy->smarthost = sh;
    outbound::RelayTargetSettings s;
    s.policy = policy;
    s.tls = std::make_shared<outbound::ClientTls>("");
    s.hostname = "us.test";
    s.connect_timeout = std::chrono::milliseconds(2000);
    s.timeout = std::chrono::milliseconds(3000);
    s.idle_close = std::chrono::milliseconds(300);
    auto t = outbound::spawn_relay_target(system, storage::QueueFiles(dir.path()), s);
    keep(t);
    return t;
  }

  storage::DeliveryResult deliver(const delivery_target_actor& t, const std::string& id) {
    caf::scoped_actor self{system};
    storage::DeliveryResult out;
    self->request(t, std::chrono::seconds(20), deliver_atom::value,
                  delivery_job{id, {0}, {"bob@far.test"}, {"far.test"}, 0, {"bob@far.test"}})
        .receive(
            [&](delivery_report& r) {
              ASSERT_EQ(r.results.size(), 1u);
              out = r.results[0];
            },
            [](caf::error&) { FAIL() << "no report"; });
    return out;
  }

  std::shared_ptr<tls::TlsContext> server_tls;
};

uint16_t port_of(const ScriptedPeer& p) {
  return static_cast<uint16_t>(std::stoi(p.address().substr(p.address().rfind(':') + 1)));
}

// Runs one job against a peer playing `script`; returns once the peer's side has ended too (the
// script's findings are then safe to read).
storage::DeliveryResult against(RelayFixture& f, std::function<void(Conn&)> script,
                                const std::string& id,
                                routing::TlsPolicy tls = routing::TlsPolicy::may) {
  ScriptedPeer peer(std::move(script));
  return f.deliver(f.target(port_of(peer), tls), id);
}

// The peer's side of a plain session up to its EHLO reply.
void greet(Conn& c, const std::string& ehlo = "250-peer.test\r\n250 PIPELINING\r\n") {
  c.send("220 peer.test ESMTP\r\n");
  c.line();
  c.send(ehlo);
}

// MAIL, RCPT and DATA arrive pipelined; the replies are the script's.
void transaction(Conn& c, const std::string& replies, std::string* content) {
  for (int i = 0; i < 3; ++i)
    c.line();
  c.send(replies);
  std::string data = replies.find("354") != std::string::npos ? c.data() : "";
  if (content) *content = data;
}

TEST_F(RelayFixture, DeliveredOnlyWhenThePeerTookTheContent) {
  store("OK1");
  std::string got;
  auto r = against(
      *this,
      [&](Conn& c) {
        greet(c);
        transaction(c, "250 ok\r\n250 ok\r\n354 go\r\n", &got);
        c.send("250 2.0.0 taken as X\r\n");
        c.rest();
      },
      "OK1");
  EXPECT_EQ(r.state, RecipientState::delivered);
  EXPECT_EQ(r.code, 250);
  EXPECT_EQ(got, kContent);
}

TEST_F(RelayFixture, A250ToDataIsAProtocolErrorAndTheConnectionIsClosed) {
  store("D1");
  std::vector<std::string> after;
  auto r = against(
      *this,
      [&](Conn& c) {
        greet(c);
        transaction(c, "250 ok\r\n250 ok\r\n250 2.0.0 queued, no content needed\r\n", nullptr);
        after = c.rest();
      },
      "D1");
  EXPECT_EQ(r.state, RecipientState::pending);
  EXPECT_EQ(r.enhanced, "4.5.0");
  EXPECT_NE(r.text.find("protocol error"), std::string::npos) << r.text;
  for (const auto& l : after)
    EXPECT_TRUE(l == "QUIT") << "sent after the desync: " << l;
}

TEST_F(RelayFixture, StarttlsPlaintextInjectionIsDroppedAndTheRealRepliesCount) {
  store("T1");
  std::string got;
  auto r = against(
      *this,
      [&](Conn& c) {
        greet(c, "250-peer.test\r\n250 STARTTLS\r\n");
        c.line();  // STARTTLS
        // One write: the 220 and forged answers to EHLO, MAIL, RCPT and DATA.
        c.send("220 ready\r\n250 injected\r\n250 ok\r\n250 ok\r\n354 go\r\n");
        if (!c.start_tls(server_tls->raw())) return;
        c.line();  // EHLO
        c.send("250-peer.test\r\n250 PIPELINING\r\n");
        transaction(c, "250 ok\r\n250 ok\r\n354 go\r\n", &got);
        c.send("250 2.0.0 taken over TLS\r\n");
        c.rest();
      },
      "T1");
  EXPECT_EQ(r.state, RecipientState::delivered) << r.text;
  EXPECT_NE(r.text.find("taken over TLS"), std::string::npos) << r.text;
  EXPECT_EQ(got, kContent);
}

TEST_F(RelayFixture, AConnectionCutAtAnyStepIsTriedAgainNeverDelivered) {
  // Where the peer hangs up: after the greeting, after EHLO, after the RCPT replies, after 354,
  // after the content.
  for (int step = 0; step < 5; ++step) {
    const std::string id = "CUT" + std::to_string(step);
    store(id);
    auto r = against(
        *this,
        [&](Conn& c) {
          c.send("220 peer.test ESMTP\r\n");
          if (step == 0) return;
          c.line();
          c.send("250-peer.test\r\n250 PIPELINING\r\n");
          if (step == 1) return;
          for (int i = 0; i < 3; ++i)
            c.line();
          c.send(step == 2 ? "250 ok\r\n250 ok\r\n" : "250 ok\r\n250 ok\r\n354 go\r\n");
          if (step == 2 || step == 3) return;
          c.data();
        },
        id);
    EXPECT_EQ(r.state, RecipientState::pending) << step << ": " << r.text;
  }
}

TEST_F(RelayFixture, APeerThatGreetsWithOurNameIsALoopAndBounces) {
  store("L1");
  auto r = against(
      *this,
      [&](Conn& c) {
        c.send("220 us.test ESMTP\r\n");
        c.rest();
      },
      "L1");
  EXPECT_EQ(r.state, RecipientState::failed);
  EXPECT_EQ(r.code, 554);
  EXPECT_EQ(r.enhanced, "5.4.6");
  EXPECT_NE(r.text.find("loops back to myself"), std::string::npos) << r.text;
}

TEST_F(RelayFixture, BinaryMimeIsBouncedBeforeAnythingIsSent) {
  store("B1", "BODY=BINARYMIME");
  std::vector<std::string> sent;
  auto r = against(
      *this,
      [&](Conn& c) {
        greet(c, "250-peer.test\r\n250-CHUNKING\r\n250 BINARYMIME\r\n");
        sent = c.rest();
      },
      "B1");
  EXPECT_EQ(r.state, RecipientState::failed);
  EXPECT_EQ(r.enhanced, "5.6.3");
  for (const auto& l : sent)
    EXPECT_EQ(l.rfind("MAIL", 0), std::string::npos) << l;
}

TEST_F(RelayFixture, TlsRequiredButNotOfferedSendsNothing) {
  store("E1");
  std::vector<std::string> sent;
  auto r = against(
      *this,
      [&](Conn& c) {
        greet(c);
        sent = c.rest();
      },
      "E1", routing::TlsPolicy::encrypt);
  EXPECT_EQ(r.state, RecipientState::pending);
  EXPECT_NE(r.text.find("TLS is required"), std::string::npos) << r.text;
  for (const auto& l : sent)
    EXPECT_EQ(l.rfind("MAIL", 0), std::string::npos) << l;
}

TEST_F(RelayFixture, TheConnectionIsReusedThenClosedWhenIdle) {
  store("R1");
  store("R2");
  std::vector<std::string> after;
  {
    // One connection only: a second connect would wait unanswered in the backlog.
    ScriptedPeer peer([&](Conn& c) {
      greet(c);
      for (int m = 0; m < 2; ++m) {
        transaction(c, "250 ok\r\n250 ok\r\n354 go\r\n", nullptr);
        c.send("250 2.0.0 taken\r\n");
      }
      after = c.rest();  // until the idle close (300 ms)
    });
    auto t = target(port_of(peer));
    EXPECT_EQ(deliver(t, "R1").state, RecipientState::delivered);
    EXPECT_EQ(deliver(t, "R2").state, RecipientState::delivered);
  }
  EXPECT_EQ(after, std::vector<std::string>{"QUIT"});
}

}  // namespace
}  // namespace mailactor::actors
