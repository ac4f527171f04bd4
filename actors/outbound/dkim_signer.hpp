// DKIM signing (RFC 6376) of relayed mail (our users' and trusted hosts'), before it leaves: one
// key per sender domain, relaxed/relaxed, rsa-sha256 (or ed25519-sha256 for an Ed25519 key).
// Canonicalisation and signing are Debian's libopendkim's (OpenDKIM), not ours.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "storage/message_meta.hpp"

namespace mailactor::storage {
class QueueReader;
}

namespace mailactor::actors::outbound {

struct DkimKey {
  std::string domain;
  std::string selector;
  std::string private_key_pem;
};

// The header fields signed unless configured otherwise.
const std::vector<std::string>& default_dkim_headers();

// The keys in `dir`, one file per domain and selector named "<domain>.<selector>.key" (as
// `mailactor dkim keygen` writes them). Throws std::runtime_error naming a file it cannot read.
std::vector<DkimKey> load_dkim_keys(const std::string& dir);

class DkimSigner {
 public:
  // Throws std::runtime_error when the library cannot start or a key is refused.
  DkimSigner(std::vector<DkimKey> keys, std::vector<std::string> headers);
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  using Content = std::function<void(const std::function<void(std::string_view)>&)>;
  // "DKIM-Signature: ...\r\n" over the message `content` streams, signed with `domain`'s key;
  // "" when there is no key for it. Throws std::runtime_error when signing fails.
  std::string sign(const std::string& domain, const std::string& id, const Content& content) const;
  // The same for a queued message, with the key of its envelope sender's domain (only our own
  // users and trusted networks reach the relay route; a bounce's null sender is not signed).
  std::string sign_header(const storage::QueueReader& reader,
                          const storage::MessageMeta& meta) const;

 private:
  void* lib_;                            // DKIM_LIB
  std::map<std::string, DkimKey> keys_;  // by domain
  std::vector<std::string> headers_;
};

// `mailactor dkim keygen`: a new 2048-bit RSA key written to "<dir>/<domain>.<selector>.key"
// (mode 0600, refused if the file exists); returns the DNS TXT record to publish.
std::string generate_dkim_key(const std::string& dir, const std::string& domain,
                              const std::string& selector);

}  // namespace mailactor::actors::outbound
