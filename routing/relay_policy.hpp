// Where mail for another domain goes and how it must travel: a smarthost (per destination domain
// or the default) or the domain's MX hosts, and the TLS policy of the link. Plain C++: the relay
// target actor asks it, the unit tests drive it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace mailactor::routing {

enum class TlsPolicy {
  may,      // STARTTLS when offered, certificate not checked; plaintext otherwise
  encrypt,  // TLS or nothing (no plaintext), certificate not checked
  verify,   // TLS with a certificate chain and name that verify, or nothing
};
const char* to_string(TlsPolicy p);
std::optional<TlsPolicy> parse_tls_policy(std::string_view s);

struct Smarthost {
  std::string host;  // name or address
  uint16_t port = 587;
  bool implicit_tls = false;           // TLS from the first byte (port 465) instead of STARTTLS
  TlsPolicy tls = TlsPolicy::encrypt;  // never plaintext: at least encrypt
  std::string user;                    // AUTH PLAIN/LOGIN when set
  std::string password;
};

struct RelaySettings {
  bool enabled = false;  // off: other domains are not relayed (kept in the ingest Maildir)
  std::optional<Smarthost> smarthost;          // every destination without its own; none: MX
  std::map<std::string, Smarthost> by_domain;  // a destination domain's own smarthost
  TlsPolicy tls = TlsPolicy::may;              // direct MX delivery, unless the domain says
  std::map<std::string, TlsPolicy> tls_by_domain;
  uint16_t mx_port = 25;  // tests point it elsewhere; port 25 otherwise
  size_t max_hosts = 5;   // MX hosts tried per attempt
};

// One destination: the unit of connection reuse, concurrency and back-off.
// The domain of an address: what follows its last '@' (the whole of it without one).
std::string domain_of(const std::string& address);

struct Destination {
  std::string domain;
  std::optional<Smarthost> smarthost;
  TlsPolicy tls = TlsPolicy::may;
  // "smarthost:HOST:PORT" (domains behind one smarthost share it) or "mx:DOMAIN".
  std::string key() const;
};
Destination destination_for(const RelaySettings& s, const std::string& domain);

struct MxRecord {
  uint16_t preference = 0;
  std::string host;  // "." (or empty): the null MX of RFC 7505
};

struct MxPlan {
  enum class Kind {
    hosts,    // try these in order
    null_mx,  // the domain accepts no mail: 556 5.1.10
  };
  Kind kind = Kind::hosts;
  std::vector<std::string> hosts;
};
// Sorted by preference, equal preferences shuffled (RFC 5321 §5.1), at most `max_hosts`; with no
// MX records the domain itself (the implicit MX). A lone null MX makes the domain refuse mail;
// a null MX among others is ignored.
MxPlan plan_mx(const std::string& domain, std::vector<MxRecord> records, size_t max_hosts,
               std::mt19937& rng);

// A smarthost credentials file: one line "user:password" (the password may contain ':').
// Throws std::invalid_argument on anything else.
std::pair<std::string, std::string> parse_credentials(std::string_view text);

}  // namespace mailactor::routing
