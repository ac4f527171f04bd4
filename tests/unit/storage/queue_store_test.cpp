#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <type_traits>

#include "storage/queue_id.hpp"
#include "storage/queue_reader.hpp"
#include "storage/queue_schema.hpp"
#include "storage/queue_store.hpp"
#include "storage/sqlite.hpp"
#include "temp_dir.hpp"

namespace mailactor::storage {
namespace {

using mailactor::testing::TempDir;

MessageMeta meta(const std::string& id) {
  MessageMeta m;
  m.id = id;
  m.mail_from = "a@b.example";
  m.rcpt_to = {"x@example.test", "y@example.test"};
  m.helo = "client.example";
  m.client_addr = "127.0.0.1";
  m.client_port = 4242;
  m.listener = "smtp";
  m.protocol = "ESMTP";
  m.params = "BODY=8BITMIME";
  m.received_at = 1'800'000'000;
  return m;
}

DeliveryResult delivered(uint32_t idx) {
  return {idx, RecipientState::delivered, 0, 250, "2.0.0", "ok", ""};
}

std::string content_of(const QueueReader& r, const std::string& id) {
  std::string out;
  r.content(id, [&](std::string_view b) { out.append(b.data(), b.size()); });
  return out;
}

TEST(QueueStore, StreamedMessageIsQueuedWithItsEnvelope) {
  TempDir dir;
  QueueStore store(dir / "spool", Durability::fsync);
  store.append("M1", "Received: x\r\n", 1);
  store.append("M1", "Subject: a\r\n\r\n", 1);
  EXPECT_EQ(store.finish(meta("M1"), {}, "body\r\n"), 33u);
  store.commit();
  QueueReader reader(dir / "spool");
  auto e = reader.get("M1");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->state, MessageState::queued);
  EXPECT_EQ(e->meta.rcpt_to, (std::vector<std::string>{"x@example.test", "y@example.test"}));
  EXPECT_EQ(e->meta.size, 33u);
  EXPECT_EQ(e->meta.client_port, 4242);
  EXPECT_EQ(e->meta.params, "BODY=8BITMIME");
  EXPECT_EQ(content_of(reader, "M1"), "Received: x\r\nSubject: a\r\n\r\nbody\r\n");
}

TEST(QueueStore, SmallMessageInOneStep) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::none);
  store.finish(meta("M2"), {}, "whole message\r\n");
  store.commit();
  QueueReader reader(dir.path());
  EXPECT_EQ(content_of(reader, "M2"), "whole message\r\n");
  EXPECT_EQ(reader.queued_ids("", 10), std::vector<std::string>{"M2"});
}

TEST(QueueStore, EmptyMessageStillHasContent) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::fsync);
  store.finish(meta("E"), {}, "");
  store.commit();
  QueueReader reader(dir.path());
  std::string out = "x";
  EXPECT_TRUE(reader.content("E", [&](std::string_view b) { out = std::string(b); }));
  EXPECT_EQ(out, "");
}

TEST(QueueStore, AbortLeavesNothing) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::fsync);
  store.append("A", "part one", 1);
  store.commit();  // a group commit of other sessions makes the partial content durable
  store.append("A", "part two", 1);
  store.abort("A");
  store.commit();
  QueueReader reader(dir.path());
  EXPECT_FALSE(reader.get("A"));
  EXPECT_FALSE(reader.content("A", [](std::string_view) {}));
  EXPECT_EQ(store.receiving(), 0u);
}

TEST(QueueStore, CrashLeftoversAreRemovedAtStart) {
  TempDir dir;
  {
    QueueStore store(dir.path(), Durability::fsync);
    store.append("half", "partial", 1);
    store.finish(meta("done"), {}, "complete");
    store.commit();  // "half" is durable as 'receiving': as after a crash mid-message
  }
  QueueStore again(dir.path(), Durability::fsync);
  EXPECT_EQ(again.remove_incomplete(), 1u);
  QueueReader reader(dir.path());
  EXPECT_FALSE(reader.get("half"));
  EXPECT_FALSE(reader.content("half", [](std::string_view) {}));
  EXPECT_TRUE(reader.get("done"));
}

TEST(QueueStore, UncommittedBatchIsNotVisible) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::fsync);
  store.finish(meta("pending"), {}, "x");
  QueueReader reader(dir.path());
  EXPECT_FALSE(reader.get("pending")) << "visible before the group commit";
  store.commit();
  EXPECT_TRUE(reader.get("pending"));
}

TEST(QueueStore, RollbackReportsLostMessages) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::fsync);
  store.append("R", "part", 1);
  store.finish(meta("F"), {}, "x");
  store.rollback();
  auto lost = store.lost_in_rollback();
  EXPECT_NE(std::find(lost.begin(), lost.end(), "R"), lost.end());
  // "F" was never partial: its commit fails through the writer's pending reply instead.
  QueueReader reader(dir.path());
  EXPECT_TRUE(reader.list().empty());
}

TEST(QueueStore, DeliveredDropsContentAndPurge) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::fsync);
  store.finish(meta("D"), {}, "x");
  store.finish(meta("Q"), {}, "y");
  store.commit();
  store.record_results("D", {delivered(0), delivered(1)}, false, 5);
  store.commit();
  QueueReader reader(dir.path());
  EXPECT_EQ(reader.get("D")->state, MessageState::delivered);
  EXPECT_EQ(*reader.get("D")->delivered_at, 5);
  EXPECT_FALSE(reader.content("D", [](std::string_view) {}));
  EXPECT_EQ(reader.list(MessageState::queued).size(), 1u);
  EXPECT_EQ(reader.purge(false), 1u);
  EXPECT_EQ(reader.list().size(), 1u);
  EXPECT_EQ(reader.purge(true), 1u);
  EXPECT_TRUE(reader.list().empty());
}

TEST(QueueStore, UnusableSpoolIsAClearError) {
  TempDir dir;
  std::string file = dir / "not-a-dir";
  FILE* f = fopen(file.c_str(), "w");
  fclose(f);
  EXPECT_THROW(QueueStore(file, Durability::fsync), std::runtime_error);
  EXPECT_THROW(QueueReader(dir / "missing"), std::runtime_error);
}

TEST(QueueStore, EveryFieldRoundTrips) {
  TempDir dir;
  MessageMeta m = meta("RT1");
  m.auth_user = "alice";
  m.tls_protocol = "TLSv1.3";
  m.tls_cipher = "TLS_AES_256_GCM_SHA384";
  {
    QueueStore store(dir.path(), Durability::none);
    store.finish(m, {}, "x");
    store.commit();
  }
  auto e = QueueReader(dir.path()).get("RT1");
  ASSERT_TRUE(e);
  m.size = 1;
  // Every field in the one list, compared by name.
  for_each_field(e->meta, [&](const char* name, const auto& got) {
    for_each_field(m, [&](const char* want_name, const auto& want) {
      if constexpr (std::is_same_v<decltype(got), decltype(want)>) {
        if (std::string(name) == want_name) {
          EXPECT_EQ(got, want) << name;
        }
      }
    });
  });
}

TEST(QueueStore, QueueFromANewerReleaseIsRefused) {
  TempDir dir;
  { QueueStore store(dir.path(), Durability::none); }
  {
    Database db(dir.path() + "/queue.db", false);
    db.exec("PRAGMA user_version = 99");
  }
  try {
    QueueStore store(dir.path(), Durability::none);
    FAIL() << "opened a queue of schema version 99";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 99"), std::string::npos) << e.what();
  }
}

TEST(QueueId, UniqueAndSortable) {
  QueueIdGenerator a(1);
  QueueIdGenerator b(2);
  std::set<std::string> seen;
  std::string last;
  for (int i = 0; i < 20000; ++i) {
    std::string id = a.next();
    EXPECT_TRUE(seen.insert(id).second);
    EXPECT_TRUE(seen.insert(b.next()).second);
    EXPECT_GT(id, last);
    last = id;
    EXPECT_EQ(id.find_first_not_of("0123456789ABCDEF"), std::string::npos);
  }
}

}  // namespace
}  // namespace mailactor::storage

namespace mailactor::storage {
namespace {

// A queue written at schema version 1 (tests/data/queue_v1.sql) opens at version 2 with one
// ingest recipient per RCPT address, delivered or pending as its message was, and nothing lost.
TEST(QueueSchema, MigratesAVersion1Queue) {
  TempDir dir;
  {
    std::ifstream in(std::string(MAILACTOR_TEST_DATA) + "/queue_v1.sql");
    ASSERT_TRUE(in) << MAILACTOR_TEST_DATA;
    std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Database db(dir.path() + "/queue.db", false);
    db.exec(sql);
  }
  { QueueStore store(dir.path(), Durability::none); }
  QueueReader reader(dir.path());
  {
    Database db(dir.path() + "/queue.db", false);
    Statement s = db.prepare("PRAGMA user_version");
    ASSERT_TRUE(s.step());
    EXPECT_EQ(s.int64(0), kSchemaVersion);
  }
  auto queued = reader.queued_ids("", 10);
  ASSERT_EQ(queued, std::vector<std::string>{"1A2216381A4000001684A"});
  auto rows = reader.recipients(queued[0]);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].routed.original, "x@example.test");
  EXPECT_EQ(rows[1].routed.address, "y@example.test");
  for (const auto& r : rows) {
    EXPECT_EQ(r.routed.route, "ingest");
    EXPECT_EQ(r.state, RecipientState::pending);
    EXPECT_EQ(r.next_attempt_at, 1795856499);
  }
  EXPECT_FALSE(content_of(reader, queued[0]).empty());
  auto done = reader.recipients("1A221638197000000684A");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].state, RecipientState::delivered);
  // Opening it again changes nothing.
  { QueueStore store(dir.path(), Durability::none); }
  EXPECT_EQ(reader.recipients(queued[0]).size(), 2u);
}

// A version 2 queue (routes limited to the built-in four by a CHECK) opens at version 3 with its
// recipients kept, and then takes a plug-in target's route.
TEST(QueueSchema, MigratesAVersion2QueueAndTakesAPluginRoute) {
  TempDir dir;
  {
    QueueStore store(dir.path(), Durability::none);
    store.finish(meta("OLD"), {{"a@example.test", "a@example.test", "ingest", "", "", ""}}, "x");
    store.commit();
  }
  {
    Database db(dir.path() + "/queue.db", false);
    db.exec(
        "CREATE TABLE r2 (message_id TEXT NOT NULL, idx INTEGER NOT NULL, orig_rcpt TEXT NOT NULL,"
        " final_rcpt TEXT NOT NULL, route TEXT NOT NULL CHECK (route IN ('ingest', 'maildir',"
        " 'lmtp', 'relay')), target TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT"
        " 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL"
        " DEFAULT 0, last_attempt_at INTEGER, last_code INTEGER, last_enhanced TEXT, last_text"
        " TEXT, last_host TEXT, notify TEXT NOT NULL DEFAULT '', orcpt TEXT NOT NULL DEFAULT '',"
        " PRIMARY KEY (message_id, idx)) WITHOUT ROWID;"
        "INSERT INTO r2 SELECT * FROM recipients; DROP TABLE recipients;"
        "ALTER TABLE r2 RENAME TO recipients; PRAGMA user_version = 2;");
  }
  QueueStore store(dir.path(), Durability::none);
  store.finish(meta("NEW"), {{"h@hooks.test", "h@hooks.test", "webhook", "", "", ""}}, "y");
  store.commit();
  QueueReader reader(dir.path());
  ASSERT_EQ(reader.recipients("OLD").size(), 1u);
  EXPECT_EQ(reader.recipients("OLD")[0].routed.route, "ingest");
  ASSERT_EQ(reader.recipients("NEW").size(), 1u);
  EXPECT_EQ(reader.recipients("NEW")[0].routed.route, "webhook");
  Database db(dir.path() + "/queue.db", false);
  Statement s = db.prepare("PRAGMA user_version");
  ASSERT_TRUE(s.step());
  EXPECT_EQ(s.int64(0), kSchemaVersion);
}

TEST(QueueSchema, CommitStoresTheRoutedRecipientsAndDeliveryMarksThem) {
  TempDir dir;
  QueueStore store(dir.path(), Durability::none);
  store.finish(
      meta("R"),
      {{"team@example.test", "alice@example.test", "maildir", "alice@example.test", "", ""},
       {"team@example.test", "bob@example.test", "maildir", "bob@example.test", "", ""}},
      "x");
  store.finish(meta("I"), {}, "y");  // no decision: each RCPT address to the ingest Maildir
  store.commit();
  QueueReader reader(dir.path());
  auto rows = reader.recipients("R");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].idx, 1u);
  EXPECT_EQ(rows[1].routed.original, "team@example.test");
  EXPECT_EQ(rows[1].routed.target, "bob@example.test");
  EXPECT_EQ(rows[1].state, RecipientState::pending);
  EXPECT_EQ(reader.recipients("I").size(), 2u);
  EXPECT_EQ(reader.recipients("I")[0].routed.route, "ingest");
  // One delivered, one to try again: the message stays queued with its content.
  DeliveryResult later{1, RecipientState::pending, 1'800'000'200, 451, "4.3.0", "disk full", ""};
  EXPECT_FALSE(store.record_results("R", {delivered(0), later}, false, 1'800'000'100));
  store.commit();
  rows = reader.recipients("R");
  EXPECT_EQ(rows[0].state, RecipientState::delivered);
  EXPECT_EQ(rows[0].last_code, 250);
  EXPECT_EQ(rows[1].state, RecipientState::pending);
  EXPECT_EQ(rows[1].next_attempt_at, 1'800'000'200);
  EXPECT_EQ(rows[1].last_text, "disk full");
  EXPECT_EQ(rows[1].last_attempt_at, 1'800'000'100);
  EXPECT_EQ(reader.get("R")->state, MessageState::queued);
  EXPECT_TRUE(reader.content("R", [](std::string_view) {}));
  // Then it fails for good: every recipient is final, the message is done, its content gone.
  EXPECT_TRUE(store.record_results(
      "R", {{1, RecipientState::failed, 0, 552, "5.2.2", "over quota", "dovecot"}}, false,
      1'800'000'300));
  store.commit();
  rows = reader.recipients("R");
  EXPECT_EQ(rows[1].state, RecipientState::failed);
  EXPECT_EQ(rows[1].attempts, 2);
  EXPECT_EQ(rows[1].last_host, "dovecot");
  EXPECT_EQ(reader.get("R")->state, MessageState::delivered);
  EXPECT_FALSE(reader.content("R", [](std::string_view) {}));
  EXPECT_EQ(reader.purge(false), 1u);
  EXPECT_TRUE(reader.recipients("R").empty());
}

}  // namespace
}  // namespace mailactor::storage
