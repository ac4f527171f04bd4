// The session actor between a stand-in broker (this test: it receives the session's replies and
// read credits, and sends it the client's bytes) and a real spooler and queue writer: a message is
// answered 250 only once committed; bad input gets its exact reply and stores nothing; a client
// gone mid-DATA leaves nothing; a shedding spooler gets 451 4.3.2 at MAIL.
#include <caf/io/connection_handle.hpp>

#include <thread>

#include "actors/observe/stats.hpp"
#include "actors/session/session.hpp"
#include "routing/router_source.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

struct SessionFixture : SpoolFixture {
  SessionFixture() : broker(system) {}

  void connect() {
    auto settings = std::make_shared<SessionSettings>();
    settings->listener = "mx";
    settings->engine.hostname = "mx.example.test";
    settings->router = routing::RouterSource::ingest({"example.test"});
    stats = spawn_stats(system);
    keep(stats);
    session = spawn_session(system, caf::actor_cast<caf::actor>(broker),
                            SessionPeer{hdl, "192.0.2.5", 40000}, settings, spooler, stats,
                            auth_front_actor{});
    keep(session);
  }

  // The replies the session writes until it asks for input (a read credit) or hangs up.
  std::string replies() {
    std::string out;
    bool waiting = true;
    while (waiting) {
      broker->receive(
          [&](write_atom, caf::io::connection_handle h, const std::string& bytes, uint32_t credit,
              bool) {
            EXPECT_EQ(h, hdl);
            out += bytes;
            waiting = credit == 0;
          },
          [&](hangup_atom, caf::io::connection_handle) {
            hung_up = true;
            waiting = false;
          },
          caf::after(std::chrono::seconds(10)) >>
              [&] {
                ADD_FAILURE() << "the session said nothing more after: " << out;
                waiting = false;
              });
    }
    return out;
  }

  std::string say(const std::string& text) {
    broker->send(session, data_atom::value, std::vector<char>(text.begin(), text.end()));
    return replies();
  }

  caf::scoped_actor broker;
  caf::io::connection_handle hdl = caf::io::connection_handle::from_int(7);
  stats_actor stats;
  caf::actor session;
  bool hung_up = false;
};

TEST_F(SessionFixture, MessageIsQueuedOnlyOnceCommitted) {
  start_spool();
  connect();
  EXPECT_EQ(replies(), "220 mx.example.test ESMTP mailactor\r\n");
  EXPECT_EQ(say("HELO client.example\r\n"), "250 mx.example.test\r\n");
  EXPECT_EQ(say("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(say("RCPT TO:<x@example.test>\r\n"), "250 2.1.5 Ok\r\n");
  EXPECT_EQ(say("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
  std::string queued = say("Subject: actor test\r\n\r\nhello\r\n.\r\n");
  ASSERT_EQ(queued.rfind("250 2.0.0 Ok: queued as ", 0), 0u) << queued;
  std::string id = queued.substr(24, queued.size() - 26);
  // Answered 250: the row is committed (the writer answers only after its group commit).
  auto entry = reader().get(id);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->state, storage::MessageState::queued);
  EXPECT_EQ(entry->meta.mail_from, "a@b.example");
  EXPECT_EQ(entry->meta.client_addr, "192.0.2.5");
  std::string content;
  reader().content(id, [&](std::string_view b) { content.append(b); });
  EXPECT_EQ(content.rfind("Received: from client.example ([192.0.2.5])", 0), 0u) << content;
  EXPECT_NE(content.find("\r\n\r\nhello\r\n"), std::string::npos);
  EXPECT_EQ(say("QUIT\r\n"), "221 2.0.0 Bye\r\n");
  EXPECT_TRUE(hung_up);
}

TEST_F(SessionFixture, OutOfOrderCommandsGetTheirReplyAndStoreNothing) {
  start_spool();
  connect();
  replies();
  EXPECT_EQ(say("EHLO client.example\r\n").substr(0, 4), "250-");
  EXPECT_EQ(say("RCPT TO:<x@example.test>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(say("DATA\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(say("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Ok\r\n");
  EXPECT_EQ(say("RCPT TO:<x@elsewhere.example>\r\n"), "550 5.7.1 Relay access denied\r\n");
  EXPECT_EQ(say("DATA\r\n"), "554 5.5.1 Error: no valid recipients\r\n");
  EXPECT_EQ(reader().list().size(), 0u);
}

TEST_F(SessionFixture, ClientGoneMidDataLeavesNothing) {
  start_spool();
  connect();
  replies();
  say("HELO client.example\r\n");
  say("MAIL FROM:<a@b.example>\r\n");
  say("RCPT TO:<x@example.test>\r\n");
  say("DATA\r\n");
  // More than one spool chunk, so content reaches the writer before the client goes.
  say("Subject: cut\r\n\r\n" + std::string(100 * 1024, 'x') + "\r\n");
  broker->send(session, closed_atom::value);
  broker->receive([&](hangup_atom, caf::io::connection_handle) {},
                  caf::after(std::chrono::seconds(5)) >> [] { FAIL() << "no hangup"; });
  // The abort reached the writer: nothing of the message is left once its batch commits.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!reader().list().empty() && std::chrono::steady_clock::now() < deadline) {
    broker->send(writer, flush_atom::value);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(reader().list().size(), 0u);
}

TEST_F(SessionFixture, SheddingSpoolerRefusesMail) {
  SpoolSettings s;
  s.max_pending = 10;
  start_spool(s);
  caf::send_as(writer, spooler, depth_atom::value, uint64_t{11}, uint64_t{0});  // its report
  connect();
  replies();
  say("HELO client.example\r\n");
  EXPECT_EQ(say("MAIL FROM:<a@b.example>\r\n"), "451 4.3.2 Try again later\r\n");
  EXPECT_EQ(reader().list().size(), 0u);
}

}  // namespace
}  // namespace mailactor::actors
