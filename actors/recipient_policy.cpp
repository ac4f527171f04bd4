#include "actors/recipient_policy.hpp"

#include <algorithm>
#include <cctype>

namespace mailactor::actors {

protocol::Verdict check_recipient(const SessionSettings& s, const std::string& address,
                                  bool authenticated) {
  if (s.mode == ListenerMode::submission && authenticated) return protocol::Verdict::accept();
  size_t at = address.rfind('@');
  if (at == std::string::npos) return protocol::Verdict::accept();  // <Postmaster>
  std::string domain = address.substr(at + 1);
  std::transform(domain.begin(), domain.end(), domain.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto denied =
      protocol::Verdict::reject(protocol::reply(550, "5.7.1", "Relay access denied"));
  if (std::find(s.local_domains.begin(), s.local_domains.end(), domain) == s.local_domains.end())
    return denied;
  // Old routing syntaxes hidden in a local part ("user%elsewhere@", "elsewhere!user@", a quoted
  // "user@elsewhere"@) would make a relay of any downstream that still honours them.
  if (address.substr(0, at).find_first_of("%!@") != std::string::npos) return denied;
  return protocol::Verdict::accept();
}

}  // namespace mailactor::actors
