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
  if (std::find(s.local_domains.begin(), s.local_domains.end(), domain) != s.local_domains.end())
    return protocol::Verdict::accept();
  return protocol::Verdict::reject(protocol::reply(550, "5.7.1", "Relay access denied"));
}

}  // namespace mailactor::actors
