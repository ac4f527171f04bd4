// The edge's remote spool against a real spool node in the same process: a second actor system
// with the openssl module publishing a real spooler and queue writer over mutual TLS (the
// certificates `mailactor tls node-certs` writes). A transaction through the edge is stored on
// the node; when the node goes away in the middle of one, the commit fails instead of being
// taken for stored, nothing is stored, and the edge answers 451 until a node is back.
#include <caf/openssl/all.hpp>

#include <thread>

#include "actors/spool/remote_spool.hpp"
#include "actors/tls/selfsigned.hpp"
#include "storage/unix_time.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

caf::actor_system_config& tls_config(caf::actor_system_config& cfg, const std::string& certs,
                                     const std::string& name) {
  add_message_types(cfg);
  cfg.set("scheduler.max-threads", 2);
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.openssl_cafile = certs + "/ca.pem";
  cfg.openssl_certificate = certs + "/" + name + ".pem";
  cfg.openssl_key = certs + "/" + name + ".key";
  return cfg;
}

// A spool node: its own actor system, queue file, writer and spooler, published on loopback.
struct SpoolNode {
  caf::actor_system_config cfg;
  caf::actor_system system;
  std::shared_ptr<storage::QueueStore> store;
  queue_writer_actor writer;
  spooler_actor spooler;
  uint16_t port = 0;

  SpoolNode(const std::string& certs, const std::string& spool)
      : system(tls_config(cfg, certs, "node")),
        store(std::make_shared<storage::QueueStore>(spool, storage::Durability::none)) {
    writer = spawn_queue_writer(system, store, {});
    spooler = spawn_spooler(system, {writer}, {});
    auto published = caf::openssl::publish(spooler, 0, "127.0.0.1", true);
    EXPECT_TRUE(published) << system.render(published.error());
    port = published ? *published : 0;
  }
  ~SpoolNode() { stop(); }
  void stop() {
    caf::anon_send_exit(spooler, caf::exit_reason::kill);
    caf::anon_send_exit(writer, caf::exit_reason::kill);
  }
};

struct RemoteSpoolTest : ::testing::Test {
  mailactor::testing::TempDir dir;
  std::string certs = dir / "certs";
  caf::actor_system_config edge_cfg;
  std::unique_ptr<caf::actor_system> edge;
  std::unique_ptr<SpoolNode> node;
  spooler_actor spool;

  void SetUp() override {
    tls::write_node_certs(certs, {"node", "edge"});
    node = std::make_unique<SpoolNode>(certs, dir / "spool");
    edge = std::make_unique<caf::actor_system>(tls_config(edge_cfg, certs, "edge"));
    RemoteSpoolSettings s;
    s.nodes = {{"127.0.0.1", node->port}};
    s.timeout = std::chrono::seconds(2);
    s.max_backoff = std::chrono::milliseconds(200);
    spool = spawn_remote_spool(*edge, s);
  }
  void TearDown() override {
    caf::anon_send_exit(spool, caf::exit_reason::user_shutdown);
    node.reset();
  }

  spool_ticket begin() {
    caf::scoped_actor self{*edge};
    spool_ticket t;
    self->request(spool, std::chrono::seconds(5), begin_atom::value, std::string("192.0.2.1"),
                  std::string("smtp"))
        .receive([&](spool_ticket& r) { t = std::move(r); },
                 [&](caf::error& e) { ADD_FAILURE() << edge->render(e); });
    return t;
  }
  // The first accepted ticket within 10 s (the link comes up in the background).
  spool_ticket linked_ticket() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    spool_ticket t;
    while (!(t = begin()).accepted && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return t;
  }
  storage::MessageMeta meta(const std::string& id) {
    return mailactor::actors::testing::message_meta(id, "a@example.org", "u@example.test");
  }
  // The writer's answer to `request`, or the error it ended in.
  template <class... Ts>
  std::pair<bool, std::string> ask_writer(const spool_ticket& t, Ts&&... xs) {
    caf::scoped_actor self{*edge};
    std::pair<bool, std::string> out{false, "no answer"};
    self->request(t.writer, std::chrono::seconds(5), std::forward<Ts>(xs)...)
        .receive(
            [&](const spool_reply& r) {
              out = {r.ok, r.ok ? "" : "refused"};
            },
            [&](caf::error& e) {
              out = {false, edge->render(e)};
            });
    return out;
  }
  size_t stored() {
    storage::QueueReader reader(dir / "spool");
    return reader.queued_ids("", 100).size();
  }
};

TEST_F(RemoteSpoolTest, ATransactionThroughTheEdgeIsStoredOnTheNode) {
  auto t = linked_ticket();
  ASSERT_TRUE(t.accepted) << t.code << " " << t.text;
  EXPECT_TRUE(ask_writer(t, append_atom::value, t.id, std::string("Subject: x\r\n")).first);
  auto r = ask_writer(t, commit_atom::value, meta(t.id), std::vector<storage::RoutedRecipient>{},
                      std::string("\r\nbody\r\n"));
  EXPECT_TRUE(r.first) << r.second;
  EXPECT_EQ(stored(), 1u);
}

// How the node goes away: its actors end (the process shuts down), or the whole node with its
// sockets (the connection is cut).
void lose(std::unique_ptr<SpoolNode>& node, bool whole) {
  if (whole)
    node.reset();
  else
    node->stop();
}

class LinkLost : public RemoteSpoolTest, public ::testing::WithParamInterface<bool> {};

TEST_P(LinkLost, MidTransactionTheCommitFailsNothingIsStoredAndMailGets451) {
  auto t = linked_ticket();
  ASSERT_TRUE(t.accepted) << t.code << " " << t.text;
  EXPECT_TRUE(ask_writer(t, append_atom::value, t.id, std::string("Subject: x\r\n")).first);
  lose(node, GetParam());
  auto r = ask_writer(t, commit_atom::value, meta(t.id), std::vector<storage::RoutedRecipient>{},
                      std::string("\r\nbody\r\n"));
  EXPECT_FALSE(r.first) << "a commit the node never made was taken for stored";
  // The edge learns the link is gone: MAIL is answered 451 4.3.0 instead of waiting.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  spool_ticket after;
  while ((after = begin()).accepted && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(after.accepted);
  EXPECT_EQ(after.code, 451);
  EXPECT_EQ(after.status, "4.3.0");
  EXPECT_EQ(stored(), 0u);
}

INSTANTIATE_TEST_SUITE_P(RemoteSpool, LinkLost, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "NodeGone" : "ActorsEnded"; });

}  // namespace
}  // namespace mailactor::actors
