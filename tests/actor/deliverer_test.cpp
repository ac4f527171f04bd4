// The deliverer with a real queue and Maildir: a delivery that fails is retried after
// retry_delay until it succeeds, and the queue row is then marked delivered.
#include <filesystem>
#include <fstream>

#include "actor_fixture.hpp"
#include "actors/deliverer.hpp"
#include "storage/maildir.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

storage::MessageMeta meta(const std::string& id) {
  storage::MessageMeta m;
  m.id = id;
  m.mail_from = "a@b.example";
  m.rcpt_to = {"x@example.test"};
  m.received_at = 1;
  return m;
}

actor_stats stats_of(caf::scoped_actor& self, const deliverer_actor& d) {
  actor_stats st;
  self->request(d, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](actor_stats& r) { st = r; }, [](caf::error&) { FAIL(); });
  return st;
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
  ds.retry_delay = std::chrono::seconds(1);
  auto reader = std::make_shared<storage::QueueReader>(dir.path());
  auto d = spawn_deliverer(system, reader, maildir, writer, ds);
  keep(d);
  self->send(d, scan_atom::value);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stats_of(self, d).counters["failures"] == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GE(stats_of(self, d).counters["failures"], 1u);
  EXPECT_FALSE(maildir->delivered("RETRY1"));
  // The disk is fixed; the next retry delivers.
  std::filesystem::remove(box + "/tmp");
  std::filesystem::create_directory(box + "/tmp");
  while (!maildir->delivered("RETRY1") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(maildir->delivered("RETRY1"));
  while (reader->get("RETRY1")->state != storage::MessageState::delivered &&
         std::chrono::steady_clock::now() < deadline) {
    self->send(writer, flush_atom::value);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(reader->get("RETRY1")->state, storage::MessageState::delivered);
  EXPECT_EQ(stats_of(self, d).counters["delivered"], 1u);
}

}  // namespace
}  // namespace mailactor::actors
