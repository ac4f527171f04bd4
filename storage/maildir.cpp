#include "storage/maildir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace mailactor::storage {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void make_dir(const std::string& p) {
  if (::mkdir(p.c_str(), 0750) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + p + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  void close_checked(const std::string& what) {
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("close " + what);
  }

 private:
  int fd_;
};

void write_all(int fd, std::string_view bytes, const std::string& what) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write " + what);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void fsync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) fail("open " + dir);
  if (::fsync(fd.get()) != 0) fail("fsync " + dir);
}

void write_file_synced(const std::string& path,
                       const std::function<void(const Maildir::Writer&)>& produce) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (fd.get() < 0) fail("create " + path);
  produce([&](std::string_view bytes) { write_all(fd.get(), bytes, path); });
  if (::fsync(fd.get()) != 0) fail("fsync " + path);
  fd.close_checked(path);
}

}  // namespace

Maildir::Maildir(std::string path, bool envelopes) : path_(std::move(path)), envelopes_(envelopes) {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec) throw std::runtime_error("cannot create Maildir " + path_ + ": " + ec.message());
  for (const auto& dir : directories())
    make_dir(dir);
  if (::access((path_ + "/tmp").c_str(), W_OK) != 0 ||
      ::access((path_ + "/new").c_str(), W_OK) != 0)
    throw std::runtime_error("Maildir " + path_ + " is not writable");
}

std::vector<std::string> Maildir::directories() const {
  std::vector<std::string> dirs{path_, path_ + "/tmp", path_ + "/new", path_ + "/cur"};
  if (envelopes_) dirs.push_back(path_ + "/envelope");
  return dirs;
}

bool Maildir::delivered(const std::string& id) const {
  struct stat st {};
  return ::stat((path_ + "/new/" + id).c_str(), &st) == 0 ||
         ::stat((path_ + "/cur/" + id).c_str(), &st) == 0;
}

void Maildir::deliver(const std::string& id, const std::string& envelope_json,
                      const std::function<void(const Writer&)>& produce) {
  const std::string tmp = path_ + "/tmp/" + id;
  const std::string env_tmp = path_ + "/tmp/" + id + ".json";
  const std::string env = path_ + "/envelope/" + id + ".json";
  try {
    write_file_synced(tmp, produce);
    write_file_synced(env_tmp, [&](const Writer& w) { w(envelope_json); });
    if (::rename(env_tmp.c_str(), env.c_str()) != 0) fail("rename " + env);
    fsync_dir(path_ + "/envelope");
    if (::rename(tmp.c_str(), (path_ + "/new/" + id).c_str()) != 0) fail("rename into new/");
    fsync_dir(path_ + "/new");
  } catch (...) {
    ::unlink(tmp.c_str());
    ::unlink(env_tmp.c_str());
    throw;
  }
}

void Maildir::deliver_file(const std::string& name,
                           const std::function<void(const Writer&)>& produce) {
  const std::string tmp = path_ + "/tmp/" + name;
  try {
    write_file_synced(tmp, produce);
    if (::rename(tmp.c_str(), (path_ + "/new/" + name).c_str()) != 0) fail("rename into new/");
    fsync_dir(path_ + "/new");
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace mailactor::storage
