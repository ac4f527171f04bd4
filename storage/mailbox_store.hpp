// Per-user Maildirs under one root: ROOT/DOMAIN/LOCAL/Maildir/{tmp,new,cur}, the layout of
// Dovecot's mail_location = maildir:~/Maildir with home = ROOT/%d/%n. One system user owns them
// all (the usual virtual-mailbox setup). Plain C++.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "storage/maildir.hpp"

namespace mailactor::storage {

class MailboxStore {
 public:
  // With create_root, creates the root now (throws std::runtime_error when it cannot);
  // otherwise the first delivery does.
  explicit MailboxStore(std::string root, bool create_root = true);

  // The Maildir of a mailbox "local@domain", or nullopt when the name cannot be a folder name
  // (empty, '/', a leading '.', a control character): such a mailbox is never written.
  std::optional<std::string> maildir_of(std::string_view mailbox) const;

  // Writes `name` into the mailbox's new/ (creating its folders on first use) unless a file of
  // that name is already in new/ or cur/ — a redelivery after a crash between the rename and the
  // queue's update. Returns false in that case. Throws std::system_error on I/O errors,
  // std::invalid_argument for a mailbox maildir_of() refuses.
  bool deliver(std::string_view mailbox, const std::string& name,
               const std::function<void(const Maildir::Writer&)>& produce);

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace mailactor::storage
