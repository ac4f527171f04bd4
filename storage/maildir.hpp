// Maildir delivery (https://cr.yp.to/proto/maildir.html) with an envelope file per message:
//   <maildir>/tmp/<id>  -> fsync -> <maildir>/envelope/<id>.json (fsync) -> rename into
//   <maildir>/new/<id> -> fsync new/. A crash at any step leaves nothing partial in new/; the
//   queue still holds the message, so it is delivered again (at least once, never lost).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mailactor::storage {

class Maildir {
 public:
  // Creates the directories if needed; throws std::runtime_error when unusable. Without
  // `envelopes` (a user's mailbox) there is no envelope/ folder and deliver_file() is used.
  explicit Maildir(std::string path, bool envelopes = true);

  using Writer = std::function<void(std::string_view)>;
  // `produce` is called with a writer and streams the content into tmp/<id>. Throws
  // std::system_error on any I/O error (the message then is not in new/).
  void deliver(const std::string& id, const std::string& envelope_json,
               const std::function<void(const Writer&)>& produce);

  // tmp/<name> -> fsync -> rename into new/<name> -> fsync new/.
  void deliver_file(const std::string& name, const std::function<void(const Writer&)>& produce);

  const std::string& path() const { return path_; }
  // The Maildir and the folders it writes into (tmp, new, cur, envelope).
  std::vector<std::string> directories() const;
  bool delivered(const std::string& id) const;

 private:
  std::string path_;
  bool envelopes_;
};

}  // namespace mailactor::storage
