#include "storage/mailbox_store.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace mailactor::storage {
namespace {

bool safe_folder_name(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  for (unsigned char c : s)
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
  return true;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

MailboxStore::MailboxStore(std::string root, bool create_root) : root_(std::move(root)) {
  if (!create_root) return;
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) throw std::runtime_error("cannot create mailbox root " + root_ + ": " + ec.message());
}

std::optional<std::string> MailboxStore::maildir_of(std::string_view mailbox) const {
  size_t at = mailbox.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto local = mailbox.substr(0, at), domain = mailbox.substr(at + 1);
  if (!safe_folder_name(local) || !safe_folder_name(domain)) return std::nullopt;
  return root_ + "/" + std::string(domain) + "/" + std::string(local) + "/Maildir";
}

bool MailboxStore::deliver(std::string_view mailbox, const std::string& name,
                           const std::function<void(const Maildir::Writer&)>& produce) {
  auto path = maildir_of(mailbox);
  if (!path) throw std::invalid_argument("not a usable mailbox name: " + std::string(mailbox));
  // Dovecot moves a file it has seen to cur/, adding ":2,<flags>" to its name.
  if (exists(*path + "/new/" + name) || exists(*path + "/cur/" + name + ":2,")) return false;
  std::error_code ec;
  std::filesystem::create_directories(*path, ec);
  if (ec) throw std::system_error(ec, "create " + *path);
  Maildir(*path, false).deliver_file(name, produce);
  return true;
}

}  // namespace mailactor::storage
