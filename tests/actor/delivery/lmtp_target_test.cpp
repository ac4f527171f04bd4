// The LMTP target against a scripted LMTP server: one reply per accepted recipient after the
// content, each recipient settled by its own reply, and a reply the protocol does not allow (or
// a server that answers before it is asked) never taken as a delivery.
#include <caf/typed_event_based_actor.hpp>

#include <functional>

#include "actors/delivery/delivery_targets.hpp"
#include "storage/unix_time.hpp"
#include "tests/actor/actor_fixture.hpp"
#include "tests/unit/actors/outbound/scripted_peer.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;
using Conn = mailactor::testing::ScriptedPeer::Conn;
using mailactor::testing::ScriptedPeer;
using storage::RecipientState;

const std::vector<std::string> kRecipients = {"a@example.test", "b@example.test", "c@example.test"};
const std::string kContent = "Subject: local\r\n\r\nhello\r\n";

struct LmtpFixture : SpoolFixture {
  LmtpFixture() { start_spool(); }

  void store(const std::string& id) {
    storage::MessageMeta m;
    m.id = id;
    m.mail_from = "s@sender.test";
    m.rcpt_to = kRecipients;
    m.received_at = storage::unix_now();
    std::vector<storage::RoutedRecipient> routed;
    for (const auto& r : kRecipients)
      routed.push_back({r, r, "lmtp", r, "", ""});
    caf::scoped_actor self{system};
    self->request(writer, std::chrono::seconds(5), commit_atom::value, m, routed, kContent)
        .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  }

  // One job for the three recipients against a server playing `script`; returns once the
  // server's side has ended too.
  std::vector<storage::DeliveryResult> deliver(const std::string& id,
                                               std::function<void(Conn&)> script) {
    std::vector<storage::DeliveryResult> out;
    ScriptedPeer peer(std::move(script));
    auto t = spawn_lmtp_target(system, storage::QueueFiles(dir.path()),
                               {peer.address(), "us.test", std::chrono::milliseconds(3000)});
    caf::scoped_actor self{system};
    self->request(t, std::chrono::seconds(20), deliver_atom::value,
                  delivery_job{id, {0, 1, 2}, kRecipients, kRecipients, 0, kRecipients})
        .receive([&](delivery_report& r) { out = r.results; },
                 [](caf::error&) { FAIL() << "no report"; });
    caf::anon_send_exit(t, caf::exit_reason::user_shutdown);
    return out;
  }
};

// LHLO, then MAIL, three RCPTs and DATA, pipelined.
void session_start(Conn& c, const std::string& replies) {
  c.send("220 lmtp.test LMTP\r\n");
  c.line();
  c.send("250-lmtp.test\r\n250 PIPELINING\r\n");
  for (int i = 0; i < 5; ++i)
    c.line();
  c.send(replies);
}

std::vector<RecipientState> states(const std::vector<storage::DeliveryResult>& rs) {
  std::vector<RecipientState> out;
  for (const auto& r : rs)
    out.push_back(r.state);
  return out;
}

TEST_F(LmtpFixture, EachRecipientGetsItsOwnReply) {
  store("M1");
  std::string got;
  auto rs = deliver("M1", [&](Conn& c) {
    session_start(c, "250 ok\r\n250 ok\r\n550 5.1.1 no b\r\n250 ok\r\n354 go\r\n");
    got = c.data();
    c.send("250 2.0.0 <a> saved\r\n452 4.2.2 <c> over quota\r\n");
    c.rest();
  });
  EXPECT_EQ(states(rs),
            (std::vector<RecipientState>{RecipientState::delivered, RecipientState::failed,
                                         RecipientState::pending}));
  EXPECT_EQ(rs[2].enhanced, "4.2.2");
  EXPECT_EQ(got, kContent);
}

TEST_F(LmtpFixture, A250ToDataDeliversNobody) {
  store("M2");
  auto rs = deliver("M2", [&](Conn& c) {
    session_start(c, "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 2.0.0 no content needed\r\n");
    c.rest();
  });
  EXPECT_EQ(states(rs), std::vector<RecipientState>(3, RecipientState::pending));
  EXPECT_EQ(rs[0].enhanced, "4.5.0");
}

TEST_F(LmtpFixture, AnOddReplyAfterTheContentSettlesTheRestAsTemporary) {
  store("M3");
  auto rs = deliver("M3", [&](Conn& c) {
    session_start(c, "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    c.data();
    c.send("250 2.0.0 <a> saved\r\n354 go on?\r\n250 2.0.0 <c> saved\r\n");
    c.rest();
  });
  EXPECT_EQ(states(rs),
            (std::vector<RecipientState>{RecipientState::delivered, RecipientState::pending,
                                         RecipientState::pending}));
}

TEST_F(LmtpFixture, AGreetingWithAReplyBehindItIsADesync) {
  store("M4");
  auto rs = deliver("M4", [&](Conn& c) {
    // The LHLO reply and answers for the whole transaction before anything was asked.
    c.send("220 lmtp.test LMTP\r\n250 lmtp.test\r\n");
    c.line();
    c.send("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    c.rest();
  });
  EXPECT_EQ(states(rs), std::vector<RecipientState>(3, RecipientState::pending));
  EXPECT_NE(rs[0].text.find("protocol error"), std::string::npos) << rs[0].text;
}

}  // namespace
}  // namespace mailactor::actors
