// The queue may be several SQLite files in the spool directory, each written by a queue writer of
// its own (`[spool] queue_files`): queue.db, queue-1.db, queue-2.db... A message lives in exactly
// one of them, from its first byte to its end; its id tells nothing about which.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/queue_reader.hpp"

namespace mailactor::storage {

// "queue.db" for file 0 (the name of the one file before there were several), "queue-N.db" after.
std::string queue_file_name(size_t index);
std::string queue_file_path(const std::string& spool_dir, size_t index);

// One past the highest queue file index present in `spool_dir` (0: none, or no directory).
size_t queue_files_present(const std::string& spool_dir);

// How many files a server on `spool_dir` uses: `wanted`, or more when more exist already, so that
// lowering the setting never strands the mail in the files above it.
size_t queue_file_count(const std::string& spool_dir, size_t wanted);

// A reader on each file present, by index (for the CLI and the trace pages; a missing file in a
// gap is a null entry). Empty when there is no queue.
std::vector<std::unique_ptr<QueueReader>> open_queue_readers(const std::string& spool_dir);

// Message `id` and the reader of the file that holds it; both empty when no file does.
struct FoundMessage {
  QueueReader* reader = nullptr;
  std::optional<QueueEntry> entry;
};
FoundMessage find_message(const std::vector<std::unique_ptr<QueueReader>>& readers,
                          const std::string& id);

// The queue files a server has opened (all exist): its spool directory and how many.
struct QueueFiles {
  QueueFiles(std::string spool_dir, size_t count = 1)  // NOLINT: a spool alone: its one file
      : spool_dir(std::move(spool_dir)), count(count) {}
  std::string spool_dir;
  size_t count;
};

// A reader on each of a server's queue files, for an actor that reads messages of all of them
// (a delivery target: each job says which file its message is in).
class QueueReaders {
 public:
  explicit QueueReaders(const QueueFiles& files);
  // Throws std::out_of_range for a file the server does not have.
  const QueueReader& of(size_t file) const { return *readers_.at(file); }

 private:
  std::vector<std::unique_ptr<QueueReader>> readers_;
};

}  // namespace mailactor::storage
