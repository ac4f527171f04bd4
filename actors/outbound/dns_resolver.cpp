#include "actors/outbound/dns_resolver.hpp"

#include <arpa/inet.h>
#include <unbound.h>

#include <stdexcept>

namespace mailactor::actors::outbound {
namespace {

constexpr int kTypeA = 1, kTypeMx = 15, kTypeAaaa = 28, kClassIn = 1;

// One query: its answer's rdata, or why there is none.
struct Rdata {
  DnsStatus status = DnsStatus::failed;
  std::vector<std::string> records;
  std::string error;
};

Rdata query(ub_ctx* ctx, const std::string& name, int type) {
  Rdata out;
  ub_result* r = nullptr;
  int rc = ub_resolve(ctx, name.c_str(), type, kClassIn, &r);
  if (rc != 0) {
    out.error = ub_strerror(rc);
    return out;
  }
  if (r->rcode == 3) {  // NXDOMAIN
    out.status = DnsStatus::no_domain;
  } else if (r->rcode != 0 || r->bogus) {
    out.error = r->bogus ? "DNSSEC validation failed" : "rcode " + std::to_string(r->rcode);
  } else {
    out.status = DnsStatus::ok;
    for (int i = 0; r->havedata && r->data[i]; ++i)
      out.records.emplace_back(r->data[i], static_cast<size_t>(r->len[i]));
  }
  ub_resolve_free(r);
  return out;
}

// An uncompressed wire-format name (RFC 1035 §3.1; rdata of an answer has no pointers) as text.
std::string wire_name(const std::string& rdata, size_t pos) {
  std::string name;
  while (pos < rdata.size()) {
    auto len = static_cast<unsigned char>(rdata[pos++]);
    if (len == 0 || len > 63 || pos + len > rdata.size()) break;
    if (!name.empty()) name += '.';
    name.append(rdata, pos, len);
    pos += len;
  }
  return name.empty() ? "." : name;
}

}  // namespace

DnsResolver::DnsResolver(const std::string& server) : ctx_(ub_ctx_create()) {
  if (!ctx_) throw std::runtime_error("DNS: cannot create a libunbound context");
  // libunbound answers NXDOMAIN itself for the special-use names of RFC 6761; "test." is asked
  // of the server instead, which (public DNS) gives the same answer, and lets test setups and
  // private resolvers serve it.
  int rc = ub_ctx_set_option(ctx_, "local-zone:", "test. transparent");
  if (rc != 0) {
  } else if (server.empty()) {
    rc = ub_ctx_resolvconf(ctx_, nullptr);
  } else {
    ub_ctx_set_option(ctx_, "do-not-query-localhost:", "no");
    rc = ub_ctx_set_fwd(ctx_, server.c_str());
  }
  if (rc != 0) {
    std::string why = ub_strerror(rc);
    ub_ctx_delete(ctx_);
    throw std::runtime_error("DNS server \"" + server + "\": " + why +
                             (server.empty() ? "" : " (expected an IP address or IP@PORT)"));
  }
}

DnsResolver::~DnsResolver() {
  ub_ctx_delete(ctx_);
}

MxAnswer DnsResolver::mx(const std::string& domain) const {
  auto q = query(ctx_, domain, kTypeMx);
  MxAnswer a{q.status, {}, q.error};
  for (const auto& rd : q.records) {
    if (rd.size() < 3) continue;
    auto pref = static_cast<uint16_t>((static_cast<unsigned char>(rd[0]) << 8) |
                                      static_cast<unsigned char>(rd[1]));
    a.records.push_back({pref, wire_name(rd, 2)});
  }
  return a;
}

AddressAnswer DnsResolver::addresses(const std::string& host) const {
  AddressAnswer a;
  bool answered = false;
  for (int type : {kTypeA, kTypeAaaa}) {
    auto q = query(ctx_, host, type);
    if (q.status == DnsStatus::no_domain) return {DnsStatus::no_domain, {}, ""};
    if (q.status != DnsStatus::ok) {
      a.error = q.error;
      continue;
    }
    answered = true;
    for (const auto& rd : q.records) {
      char text[INET6_ADDRSTRLEN] = {};
      const int family = type == kTypeA ? AF_INET : AF_INET6;
      if (rd.size() == (type == kTypeA ? 4u : 16u) &&
          inet_ntop(family, rd.data(), text, sizeof text))
        a.addresses.emplace_back(text);
    }
  }
  a.status = answered ? DnsStatus::ok : DnsStatus::failed;
  return a;
}

}  // namespace mailactor::actors::outbound
