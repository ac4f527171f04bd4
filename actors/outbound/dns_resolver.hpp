// DNS for direct MX delivery, through libunbound (Debian's libunbound-dev): MX records and a
// host's addresses (A and AAAA). Its calls block, so only the relay connections' own threads
// (detached actors) make them, never a scheduler thread; one context is shared by all of them
// (libunbound allows that and shares its cache). libunbound was picked over c-ares because it
// validates DNSSEC, which DANE (a later step) needs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "routing/relay_policy.hpp"

struct ub_ctx;

namespace mailactor::actors::outbound {

enum class DnsStatus {
  ok,         // answered (possibly with no records of that type)
  no_domain,  // NXDOMAIN: the name does not exist
  failed,     // SERVFAIL, a timeout, no server: try again later
};

struct MxAnswer {
  DnsStatus status = DnsStatus::failed;
  std::vector<routing::MxRecord> records;
  std::string error;
};

struct AddressAnswer {
  DnsStatus status = DnsStatus::failed;
  std::vector<std::string> addresses;  // "192.0.2.1", "2001:db8::1"; IPv4 first
  std::string error;
};

class DnsResolver {
 public:
  // `server`: "" for /etc/resolv.conf's servers, or "IP" / "IP@PORT" of one recursive (or, in
  // tests, authoritative) server to ask. Throws std::runtime_error on a bad setting.
  explicit DnsResolver(const std::string& server);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  MxAnswer mx(const std::string& domain) const;
  AddressAnswer addresses(const std::string& host) const;

 private:
  ub_ctx* ctx_;
};

}  // namespace mailactor::actors::outbound
