#include "storage/queue_files.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "storage/queue_reader.hpp"

namespace mailactor::storage {
namespace {

// The index of a queue file's name, or -1 for any other name (its -wal and -shm files included).
long index_of(const std::string& name) {
  if (name == "queue.db") return 0;
  const std::string prefix = "queue-", suffix = ".db";
  if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 4 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::strtol(digits.c_str(), nullptr, 10);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string queue_file_name(size_t index) {
  return index == 0 ? "queue.db" : "queue-" + std::to_string(index) + ".db";
}

std::string queue_file_path(const std::string& spool_dir, size_t index) {
  return spool_dir + "/" + queue_file_name(index);
}

size_t queue_files_present(const std::string& spool_dir) {
  DIR* dir = ::opendir(spool_dir.c_str());
  if (!dir) return 0;
  size_t count = 0;
  while (const dirent* e = ::readdir(dir)) {
    long index = index_of(e->d_name);
    if (index >= 0) count = std::max(count, static_cast<size_t>(index) + 1);
  }
  ::closedir(dir);
  return count;
}

size_t queue_file_count(const std::string& spool_dir, size_t wanted) {
  return std::max({wanted, queue_files_present(spool_dir), size_t{1}});
}

std::vector<std::unique_ptr<QueueReader>> open_queue_readers(const std::string& spool_dir) {
  std::vector<std::unique_ptr<QueueReader>> out(queue_files_present(spool_dir));
  for (size_t i = 0; i < out.size(); ++i)
    if (exists(queue_file_path(spool_dir, i))) out[i] = std::make_unique<QueueReader>(spool_dir, i);
  return out;
}

FoundMessage find_message(const std::vector<std::unique_ptr<QueueReader>>& readers,
                          const std::string& id) {
  for (const auto& r : readers)
    if (r)
      if (auto entry = r->get(id)) return {r.get(), std::move(entry)};
  return {};
}

QueueReaders::QueueReaders(const QueueFiles& files) {
  for (size_t i = 0; i < files.count; ++i)
    readers_.push_back(std::make_unique<QueueReader>(files.spool_dir, i));
}

}  // namespace mailactor::storage
