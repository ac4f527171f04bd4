// The queue writer in a real actor system: group commit batches concurrent commits into few
// syncs, every commit is answered only when durable, aborts leave nothing.
#include <gtest/gtest.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <thread>

#include "actors/spool/queue_writer.hpp"
#include "storage/queue_reader.hpp"
#include "tests/actor/actor_fixture.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::actors {
namespace {

using mailactor::testing::TempDir;

struct WriterFixture : ::testing::Test {
  WriterFixture() : system(testing::actor_test_config()) {}
  storage::MessageMeta meta(int i) {
    storage::MessageMeta m;
    m.id = "ID" + std::to_string(100000 + i);
    m.mail_from = "a@b.example";
    m.rcpt_to = {"x@example.test"};
    m.received_at = 1;
    return m;
  }
  TempDir dir;
  caf::actor_system system;
};

TEST_F(WriterFixture, ConcurrentCommitsShareSyncs) {
  auto store = std::make_shared<storage::QueueStore>(dir.path(), storage::Durability::fsync);
  auto writer = spawn_queue_writer(system, store, SpoolSettings{});
  caf::scoped_actor self{system};
  constexpr int n = 300;
  for (int i = 0; i < n; ++i)
    self->send(writer, commit_atom::value, meta(i), std::vector<storage::RoutedRecipient>{},
               std::string("message ") + std::to_string(i));
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    self->receive([&](const spool_reply& r) { ok += r.ok ? 1 : 0; },
                  caf::after(std::chrono::seconds(30)) >> [] { FAIL() << "no reply"; });
  }
  EXPECT_EQ(ok, n);
  // Every acknowledged message is readable (durable) now.
  storage::QueueReader reader(dir.path());
  EXPECT_EQ(reader.list(storage::MessageState::queued).size(), static_cast<size_t>(n));
  actor_stats stats;
  self->request(writer, std::chrono::seconds(5), get_stats_atom::value)
      .receive([&](actor_stats& s) { stats = s; }, [](caf::error&) { FAIL(); });
  EXPECT_EQ(stats.counters["commits"], static_cast<uint64_t>(n));
  EXPECT_LT(stats.counters["batches"], static_cast<uint64_t>(n / 2))
      << "group commit should batch messages that wait together";
  EXPECT_GT(stats.counters["largest_batch"], 1u);
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

// A commit handled while another message waits behind it is not committed then (the batch may
// grow); whatever that message is, the commit must still be answered without a further client
// message. The slow commit holds the writer while the commit and the other message queue up.
TEST_F(WriterFixture, CommitWithAMessageBehindItIsAnsweredAlone) {
  SpoolSettings settings;
  settings.slow_commit = std::chrono::milliseconds(300);
  auto store = std::make_shared<storage::QueueStore>(dir.path(), storage::Durability::none);
  auto writer = spawn_queue_writer(system, store, settings);
  caf::scoped_actor self{system};
  int id = 0;
  auto commit = [&] {
    self->send(writer, commit_atom::value, meta(++id), std::vector<storage::RoutedRecipient>{},
               std::string("x"));
  };
  for (int behind = 0; behind < 2; ++behind) {
    commit();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // now in its slow commit
    commit();
    if (behind == 0)
      self->send(writer, scan_atom::value);  // a message that commits nothing itself
    else
      self->send(writer, get_stats_atom::value);
    int replies = 0;
    for (int i = 0; i < 2; ++i)
      self->receive([&](const spool_reply& r) { replies += r.ok ? 1 : 0; },
                    caf::after(std::chrono::seconds(5)) >> [] {});
    EXPECT_EQ(replies, 2) << (behind == 0 ? "scan" : "get_stats") << " behind the commit";
    if (behind == 1)
      self->receive([](actor_stats&) {}, caf::after(std::chrono::seconds(5)) >> [] {});
  }
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST_F(WriterFixture, AppendThenAbortLeavesNothing) {
  auto store = std::make_shared<storage::QueueStore>(dir.path(), storage::Durability::fsync);
  auto writer = spawn_queue_writer(system, store, SpoolSettings{});
  caf::scoped_actor self{system};
  self->request(writer, std::chrono::seconds(5), append_atom::value, std::string("AB1"),
                std::string(100000, 'x'))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  self->send(writer, abort_atom::value, std::string("AB1"));
  self->request(writer, std::chrono::seconds(5), commit_atom::value, meta(1),
                std::vector<storage::RoutedRecipient>{}, std::string("x"))
      .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  storage::QueueReader reader(dir.path());
  EXPECT_FALSE(reader.get("AB1"));
  EXPECT_FALSE(reader.content("AB1", [](std::string_view) {}));
  EXPECT_EQ(reader.list().size(), 1u);
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

TEST_F(WriterFixture, StreamedMessageCommitsWhole) {
  auto store = std::make_shared<storage::QueueStore>(dir.path(), storage::Durability::none);
  auto writer = spawn_queue_writer(system, store, SpoolSettings{});
  caf::scoped_actor self{system};
  auto m = meta(7);
  for (int i = 0; i < 3; ++i)
    self->request(writer, std::chrono::seconds(5), append_atom::value, m.id,
                  std::string(70000, static_cast<char>('a' + i)))
        .receive([](const spool_reply& r) { EXPECT_TRUE(r.ok); }, [](caf::error&) { FAIL(); });
  uint64_t size = 0;
  self->request(writer, std::chrono::seconds(5), commit_atom::value, m,
                std::vector<storage::RoutedRecipient>{}, std::string("end"))
      .receive([&](const spool_reply& r) { size = r.size; }, [](caf::error&) { FAIL(); });
  EXPECT_EQ(size, 210003u);
  storage::QueueReader reader(dir.path());
  std::string content;
  reader.content(m.id, [&](std::string_view b) { content.append(b.data(), b.size()); });
  EXPECT_EQ(content.size(), 210003u);
  EXPECT_EQ(content.substr(0, 3), "aaa");
  EXPECT_EQ(content.substr(content.size() - 3), "end");
  self->send_exit(writer, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace mailactor::actors
