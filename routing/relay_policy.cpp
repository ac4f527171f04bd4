#include "routing/relay_policy.hpp"

#include <algorithm>
#include <stdexcept>

namespace mailactor::routing {

const char* to_string(TlsPolicy p) {
  switch (p) {
    case TlsPolicy::may:
      return "may";
    case TlsPolicy::encrypt:
      return "encrypt";
    case TlsPolicy::verify:
      return "verify";
  }
  return "may";
}

std::optional<TlsPolicy> parse_tls_policy(std::string_view s) {
  for (auto p : {TlsPolicy::may, TlsPolicy::encrypt, TlsPolicy::verify})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

std::string domain_of(const std::string& address) {
  return address.substr(address.rfind('@') + 1);
}

std::string Destination::key() const {
  if (smarthost) return "smarthost:" + smarthost->host + ":" + std::to_string(smarthost->port);
  return "mx:" + domain;
}

Destination destination_for(const RelaySettings& s, const std::string& domain) {
  Destination d;
  d.domain = domain;
  auto own = s.by_domain.find(domain);
  if (own != s.by_domain.end())
    d.smarthost = own->second;
  else
    d.smarthost = s.smarthost;
  if (d.smarthost) {
    d.tls = d.smarthost->tls;
    return d;
  }
  auto tls = s.tls_by_domain.find(domain);
  d.tls = tls == s.tls_by_domain.end() ? s.tls : tls->second;
  return d;
}

MxPlan plan_mx(const std::string& domain, std::vector<MxRecord> records, size_t max_hosts,
               std::mt19937& rng) {
  MxPlan plan;
  auto is_null = [](const MxRecord& r) { return r.host.empty() || r.host == "."; };
  if (records.size() == 1 && is_null(records[0])) {
    plan.kind = MxPlan::Kind::null_mx;
    return plan;
  }
  records.erase(std::remove_if(records.begin(), records.end(), is_null), records.end());
  if (records.empty()) {
    plan.hosts.push_back(domain);
    return plan;
  }
  std::shuffle(records.begin(), records.end(), rng);
  std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
    return a.preference < b.preference;
  });
  for (auto& r : records) {
    std::string host = r.host;
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (std::find(plan.hosts.begin(), plan.hosts.end(), host) == plan.hosts.end())
      plan.hosts.push_back(std::move(host));
    if (plan.hosts.size() == max_hosts) break;
  }
  return plan;
}

std::pair<std::string, std::string> parse_credentials(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  size_t colon = text.find(':');
  if (text.find('\n') != std::string_view::npos || colon == std::string_view::npos || colon == 0 ||
      colon + 1 == text.size())
    throw std::invalid_argument("expected one line \"user:password\"");
  return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

}  // namespace mailactor::routing
