#include <gtest/gtest.h>

#include <fstream>

#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"
#include "storage/queue_store.hpp"
#include "temp_dir.hpp"

namespace mailactor::storage {
namespace {

using mailactor::testing::TempDir;

void touch(const std::string& path) {
  std::ofstream(path) << "";
}

TEST(QueueFiles, FileZeroKeepsTheNameOfTheOneFile) {
  EXPECT_EQ(queue_file_name(0), "queue.db");
  EXPECT_EQ(queue_file_name(1), "queue-1.db");
  EXPECT_EQ(queue_file_path("/var/spool", 12), "/var/spool/queue-12.db");
}

TEST(QueueFiles, PresentCountsUpToTheHighestIndexAndIgnoresOtherNames) {
  TempDir dir;
  EXPECT_EQ(queue_files_present(dir / "missing"), 0u);
  EXPECT_EQ(queue_files_present(dir.path()), 0u);
  for (const char* name : {"queue.db-wal", "queue-0.db", "queue-01.db", "queue-x.db", "queue-.db",
                           "queue-3.db-shm", "other.db"})
    touch(dir / name);
  EXPECT_EQ(queue_files_present(dir.path()), 0u);
  touch(dir / "queue-2.db");
  EXPECT_EQ(queue_files_present(dir.path()), 3u);
}

TEST(QueueFiles, CountNeverDropsAFileThatHoldsMail) {
  TempDir dir;
  EXPECT_EQ(queue_file_count(dir.path(), 0), 1u);
  EXPECT_EQ(queue_file_count(dir.path(), 4), 4u);
  QueueStore(dir.path(), Durability::none, 2);
  EXPECT_EQ(queue_file_count(dir.path(), 1), 3u);
  EXPECT_EQ(queue_file_count(dir.path(), 5), 5u);
}

TEST(QueueFiles, EachFileIsAQueueOfItsOwn) {
  TempDir dir;
  {
    QueueStore first(dir.path(), Durability::none, 0);
    QueueStore second(dir.path(), Durability::none, 1);
    MessageMeta m;
    m.id = "ID1";
    m.mail_from = "a@b.example";
    m.rcpt_to = {"x@example.test"};
    second.append("ID1", "Subject: x\r\n\r\nbody\r\n", 1);
    second.finish(m, {}, "");
    second.commit();
  }
  auto readers = open_queue_readers(dir.path());
  ASSERT_EQ(readers.size(), 2u);
  EXPECT_FALSE(readers[0]->get("ID1"));
  ASSERT_TRUE(readers[1]->get("ID1"));
  auto found = find_message(readers, "ID1");
  EXPECT_EQ(found.reader, readers[1].get());
  ASSERT_TRUE(found.entry);
  EXPECT_EQ(found.entry->meta.mail_from, "a@b.example");
  EXPECT_FALSE(find_message(readers, "NOPE").reader);
  QueueReaders both(QueueFiles(dir.path(), 2));
  EXPECT_TRUE(both.of(1).get("ID1"));
  EXPECT_THROW(both.of(2), std::out_of_range);
}

TEST(QueueFiles, AGapInTheFilesIsANullReader) {
  TempDir dir;
  QueueStore(dir.path(), Durability::none, 0);
  QueueStore(dir.path(), Durability::none, 2);
  auto readers = open_queue_readers(dir.path());
  ASSERT_EQ(readers.size(), 3u);
  EXPECT_TRUE(readers[0]);
  EXPECT_FALSE(readers[1]);
  EXPECT_TRUE(readers[2]);
  EXPECT_THROW(QueueReader(dir.path(), 1), std::runtime_error);
}

}  // namespace
}  // namespace mailactor::storage
