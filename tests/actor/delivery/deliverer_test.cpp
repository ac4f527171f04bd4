// The deliverer and its targets with a real queue and real Maildirs: a delivery that fails is
// retried after retry.first until it succeeds, and the queue row is then marked delivered; each
// routed recipient reaches its own Maildir once; bad mailboxes fail for good; a recipient that
// keeps failing expires after the queue lifetime; a result not yet committed is not sent again.
#include <filesystem>
#include <fstream>

#include "actors/delivery/deliverer.hpp"
#include "actors/delivery/delivery_targets.hpp"
#include "storage/maildir.hpp"
#include "storage/unix_time.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

storage::MessageMeta meta(const std::string& id) {
  return testing::message_meta(id, "a@b.example", "x@example.test");
}

actor_stats stats_of(caf::scoped_actor& self, const deliverer_actor& d) {
  actor_stats st;
  self->request(d, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](actor_stats& r) { st = r; }, [](caf::error&) { FAIL(); });
  return st;
}

// Waits until every recipient of `id` is final in the queue (flushing the writer's batches).
void wait_final(caf::scoped_actor& self, const queue_writer_actor& writer,
                storage::QueueReader& reader, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (reader.get(id)->state != storage::MessageState::delivered &&
         std::chrono::steady_clock::now() < deadline) {
    self->send(writer, flush_atom::value);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(reader.get(id)->state, storage::MessageState::delivered);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST_F(SpoolFixture, FailedDeliveryIsRetriedUntilDelivered) {
  start_spool();
  const std::string box = dir / "mail";
  auto maildir = std::make_shared<storage::Maildir>(box);
  // Delivery writes tmp/<id> first: a file where the tmp directory should be fails it.
  std::filesystem::remove_all(box + "/tmp");
  std::ofstream(box + "/tmp") << "in the way";
  caf::scoped_actor self{system};
  self->request(writer, std::chrono::seconds(5), commit_atom::value, meta("RETRY1"),
                std::vector<storage::RoutedRecipient>{},
                std::string("Subject: retry\r\n\r\nbody\r\n"))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  DeliverySettings ds;
  ds.retry.first = std::chrono::seconds(1);
  auto reader = std::make_shared<storage::QueueReader>(dir.path());
  DeliveryTargets targets;
  targets["ingest"] = {spawn_ingest_target(system, dir.path(), maildir)};
  auto d = spawn_deliverer(system, reader, targets, writer, ds);
  keep(d);
  self->send(d, scan_atom::value);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stats_of(self, d).counters["deferred_ingest"] == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(stats_of(self, d).counters["deferred_ingest"], 1u);
  EXPECT_FALSE(maildir->delivered("RETRY1"));
  // The disk is fixed; the next retry delivers.
  std::filesystem::remove(box + "/tmp");
  std::filesystem::create_directory(box + "/tmp");
  while (!maildir->delivered("RETRY1") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(maildir->delivered("RETRY1"));
  auto check = this->reader();  // the deliverer's connection is its own (one per thread)
  wait_final(self, writer, check, "RETRY1");
  EXPECT_EQ(stats_of(self, d).counters["delivered"], 1u);
  EXPECT_EQ(check.recipients("RETRY1")[0].attempts, 2);
}

TEST_F(SpoolFixture, EachRoutedRecipientReachesItsOwnMailboxOnce) {
  start_spool();
  auto mailboxes = std::make_shared<storage::MailboxStore>(dir / "boxes");
  caf::scoped_actor self{system};
  std::vector<storage::RoutedRecipient> routed = {
      {"team@example.test", "alice@example.test", "maildir", "alice@example.test", "", ""},
      {"team@example.test", "bob@example.test", "maildir", "bob@example.test", "", ""},
      {"evil@example.test", "../x@example.test", "maildir", "../x@example.test", "", ""}};
  self->request(writer, std::chrono::seconds(5), commit_atom::value, meta("FAN1"), routed,
                std::string("Subject: fan\r\n\r\nbody\r\n"))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  auto reader = std::make_shared<storage::QueueReader>(dir.path());
  DeliveryTargets targets;
  targets["maildir"] = {spawn_mailbox_target(system, dir.path(), mailboxes),
                        spawn_mailbox_target(system, dir.path(), mailboxes)};
  auto d = spawn_deliverer(system, reader, targets, writer, DeliverySettings{});
  keep(d);
  self->send(d, scan_atom::value);
  auto check = this->reader();  // the deliverer's connection is its own (one per thread)
  wait_final(self, writer, check, "FAN1");
  auto rows = check.recipients("FAN1");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].state, storage::RecipientState::delivered);
  EXPECT_EQ(rows[1].state, storage::RecipientState::delivered);
  EXPECT_EQ(rows[2].state, storage::RecipientState::failed);
  EXPECT_EQ(rows[2].last_code, 550);
  EXPECT_EQ(rows[2].last_enhanced, "5.1.3");
  const std::string alice = dir / "boxes/example.test/alice/Maildir/new/FAN1.0";
  EXPECT_EQ(slurp(alice),
            "Return-Path: <a@b.example>\r\nDelivered-To: alice@example.test\r\n"
            "Subject: fan\r\n\r\nbody\r\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "boxes/example.test/bob/Maildir/new/FAN1.1"));
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));
  EXPECT_FALSE(std::filesystem::exists(dir / "boxes/x"));
  // A second delivery of the same rows (a crash before the queue recorded them) finds the files.
  EXPECT_FALSE(mailboxes->deliver("alice@example.test", "FAN1.0", [](const auto&) {}));
}

TEST_F(SpoolFixture, AMessageIsNotSentAgainWhileItsResultAwaitsTheWritersCommit) {
  // The writer commits results alone only after idle_flush; meanwhile the queue still shows the
  // recipient as due, and the due scan (every 20 ms here) finds it again and again.
  SpoolSettings slow;
  slow.idle_flush = std::chrono::milliseconds(1500);
  start_spool(slow);
  caf::scoped_actor self{system};
  self->request(writer, std::chrono::seconds(5), commit_atom::value, meta("ONCE1"),
                std::vector<storage::RoutedRecipient>{}, std::string("Subject: once\r\n\r\nx\r\n"))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  DeliverySettings ds;
  ds.due_scan = std::chrono::milliseconds(20);
  auto reader = std::make_shared<storage::QueueReader>(dir.path());
  DeliveryTargets targets;
  targets["ingest"] = {
      spawn_ingest_target(system, dir.path(), std::make_shared<storage::Maildir>(dir / "mail"))};
  auto d = spawn_deliverer(system, reader, targets, writer, ds);
  keep(d);
  self->send(d, scan_atom::value);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stats_of(self, d).counters["delivered_ingest"] == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // ~25 scans before the commit
  auto check = this->reader();
  EXPECT_EQ(check.recipients("ONCE1")[0].state, storage::RecipientState::pending);
  EXPECT_EQ(stats_of(self, d).counters["delivered_ingest"], 1u);
  wait_final(self, writer, check, "ONCE1");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(stats_of(self, d).counters["delivered_ingest"], 1u);
  EXPECT_EQ(check.recipients("ONCE1")[0].attempts, 1);
}

TEST_F(SpoolFixture, RecipientThatKeepsFailingExpires) {
  start_spool();
  // A file where the mailbox root should be: every delivery fails temporarily.
  std::ofstream(dir / "boxes") << "in the way";
  auto mailboxes = std::make_shared<storage::MailboxStore>(dir / "boxes", false);
  caf::scoped_actor self{system};
  auto m = meta("EXP1");
  m.received_at = storage::unix_now();
  self->request(writer, std::chrono::seconds(5), commit_atom::value, m,
                std::vector<storage::RoutedRecipient>{
                    {"a@example.test", "a@example.test", "maildir", "a@example.test", "", ""}},
                std::string("x\r\n"))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  auto reader = std::make_shared<storage::QueueReader>(dir.path());
  DeliverySettings ds;
  ds.retry = {std::chrono::seconds(1), std::chrono::seconds(1), std::chrono::seconds(2)};
  DeliveryTargets targets;
  targets["maildir"] = {spawn_mailbox_target(system, dir.path(), mailboxes)};
  auto d = spawn_deliverer(system, reader, targets, writer, ds);
  keep(d);
  self->send(d, scan_atom::value);
  auto check = this->reader();
  wait_final(self, writer, check, "EXP1");
  auto rows = check.recipients("EXP1");
  EXPECT_EQ(rows[0].state, storage::RecipientState::expired);
  EXPECT_GE(rows[0].attempts, 2);
  EXPECT_EQ(rows[0].last_code, 451);
  EXPECT_EQ(stats_of(self, d).counters["expired_maildir"], 1u);
}

}  // namespace
}  // namespace mailactor::actors
