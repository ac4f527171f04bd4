#include "protocol/proxy_header.hpp"

#include <arpa/inet.h>

#include <vector>

namespace mailactor::protocol {
namespace {

using Status = ProxyParse::Status;

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxLine = 107;  // "PROXY TCP6 " + two full IPv6 + ports + CRLF
constexpr std::string_view kV2Signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr size_t kV2Fixed = 16;

// v2 constants (proxy-protocol.txt §2.2)
constexpr uint8_t kCommandLocal = 0x0, kCommandProxy = 0x1;
constexpr uint8_t kFamilyUnspec = 0x0, kFamilyInet = 0x1, kFamilyInet6 = 0x2, kFamilyUnix = 0x3;
constexpr uint8_t kTransportStream = 0x1;
constexpr uint8_t kTypeSsl = 0x20, kSubtypeSslVersion = 0x21, kSubtypeSslCn = 0x22,
                  kSubtypeSslCipher = 0x23;
constexpr uint8_t kClientSsl = 0x01;

ProxyParse invalid(std::string why) {
  ProxyParse p;
  p.status = Status::invalid;
  p.error = std::move(why);
  return p;
}

ProxyParse done(size_t length, ProxyHeader h) {
  ProxyParse p;
  p.status = Status::done;
  p.length = length;
  p.header = std::move(h);
  return p;
}

// True while `received` could still become `prefix` or already starts with it.
bool agrees_with(std::string_view received, std::string_view prefix) {
  size_t n = std::min(received.size(), prefix.size());
  return received.substr(0, n) == prefix.substr(0, n);
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t sp = s.find(' ', start);
    parts.push_back(s.substr(start, sp == std::string_view::npos ? sp : sp - start));
    if (sp == std::string_view::npos) return parts;
    start = sp + 1;
  }
}

bool parse_port(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// The address in its canonical text form, or "" when `text` is not one of family `af`.
std::string canonical_ip(int af, std::string_view text) {
  unsigned char bin[16];
  std::string copy(text);
  char out[INET6_ADDRSTRLEN];
  if (copy.size() >= INET6_ADDRSTRLEN || inet_pton(af, copy.c_str(), bin) != 1) return "";
  return inet_ntop(af, bin, out, sizeof out) ? out : "";
}

std::string ip_from_bytes(int af, const unsigned char* bytes) {
  char out[INET6_ADDRSTRLEN];
  return inet_ntop(af, bytes, out, sizeof out) ? out : "";
}

ProxyParse parse_v1(std::string_view received) {
  size_t crlf = received.find("\r\n");
  if (crlf == std::string_view::npos) {
    if (received.size() >= kV1MaxLine) return invalid("v1 line longer than 107 bytes");
    if (received.find('\n') != std::string_view::npos) return invalid("v1 line without CRLF");
    return {};
  }
  if (crlf + 2 > kV1MaxLine) return invalid("v1 line longer than 107 bytes");
  if (received.substr(0, crlf).find('\n') != std::string_view::npos)
    return invalid("v1 line without CRLF");
  auto fields = split_spaces(received.substr(kV1Prefix.size(), crlf - kV1Prefix.size()));
  ProxyHeader h;
  h.version = 1;
  if (fields[0] == "UNKNOWN") return done(crlf + 2, h);  // the rest of the line is ignored
  if (fields[0] != "TCP4" && fields[0] != "TCP6") return invalid("v1 protocol is not TCP4/TCP6");
  if (fields.size() != 5) return invalid("v1 line needs source, destination and two ports");
  const int af = fields[0] == "TCP4" ? AF_INET : AF_INET6;
  h.client_address = canonical_ip(af, fields[1]);
  h.server_address = canonical_ip(af, fields[2]);
  if (h.client_address.empty() || h.server_address.empty())
    return invalid("v1 address is not an " + std::string(af == AF_INET ? "IPv4" : "IPv6") +
                   " address");
  if (!parse_port(fields[3], h.client_port) || !parse_port(fields[4], h.server_port))
    return invalid("v1 port is not a number from 0 to 65535");
  h.has_addresses = true;
  return done(crlf + 2, h);
}

// Printable ASCII only: these strings reach logs and the Received: field.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s)
    out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  return out;
}

uint16_t be16(const unsigned char* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// The TLVs after the addresses; false when one overruns the header.
bool read_tlvs(const unsigned char* p, size_t n, ProxyHeader& h) {
  size_t at = 0;
  while (at < n) {
    if (n - at < 3) return false;
    const uint8_t type = p[at];
    const size_t len = be16(p + at + 1);
    if (n - at - 3 < len) return false;
    const unsigned char* value = p + at + 3;
    if (type == kTypeSsl) {
      if (len < 5) return false;
      h.tls = (value[0] & kClientSsl) != 0;
      const bool verified = be16(value + 1) == 0 && be16(value + 3) == 0;
      ProxyHeader sub;
      if (!read_tlvs(value + 5, len - 5, sub)) return false;
      h.tls_version = sub.tls_version;
      h.tls_cipher = sub.tls_cipher;
      if (verified) h.tls_client_cn = sub.tls_client_cn;
    } else if (type == kSubtypeSslVersion || type == kSubtypeSslCipher || type == kSubtypeSslCn) {
      std::string text = printable({reinterpret_cast<const char*>(value), len});
      (type == kSubtypeSslVersion  ? h.tls_version
       : type == kSubtypeSslCipher ? h.tls_cipher
                                   : h.tls_client_cn) = std::move(text);
    }
    at += 3 + len;
  }
  return true;
}

ProxyParse parse_v2(std::string_view received) {
  if (received.size() < kV2Fixed) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(received.data());
  if (p[12] >> 4 != 2) return invalid("v2 header of version " + std::to_string(p[12] >> 4));
  const uint8_t command = p[12] & 0x0f;
  if (command != kCommandLocal && command != kCommandProxy) return invalid("v2 unknown command");
  const size_t total = kV2Fixed + be16(p + 14);
  if (total > kMaxProxyHeader) return invalid("v2 header longer than 4096 bytes");
  if (received.size() < total) return {};
  ProxyHeader h;
  h.version = 2;
  if (command == kCommandLocal) return done(total, h);
  const uint8_t family = p[13] >> 4, transport = p[13] & 0x0f;
  const unsigned char* body = p + kV2Fixed;
  const size_t body_len = total - kV2Fixed;
  size_t addresses = 0;
  if (family == kFamilyInet || family == kFamilyInet6) {
    if (transport != kTransportStream) return invalid("v2 transport is not a stream");
    const size_t ip = family == kFamilyInet ? 4 : 16;
    addresses = 2 * ip + 4;
    if (body_len < addresses) return invalid("v2 header too short for its addresses");
    const int af = family == kFamilyInet ? AF_INET : AF_INET6;
    h.client_address = ip_from_bytes(af, body);
    h.server_address = ip_from_bytes(af, body + ip);
    h.client_port = be16(body + 2 * ip);
    h.server_port = be16(body + 2 * ip + 2);
    h.has_addresses = true;
  } else if (family == kFamilyUnix) {
    addresses = 216;
    if (body_len < addresses) return invalid("v2 header too short for its addresses");
  } else if (family != kFamilyUnspec) {
    return invalid("v2 unknown address family");
  }
  if (!read_tlvs(body + addresses, body_len - addresses, h))
    return invalid("v2 TLV overruns the header");
  return done(total, h);
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view received) {
  if (received.empty()) return {};
  if (agrees_with(received, kV2Signature)) return parse_v2(received);
  if (agrees_with(received, kV1Prefix)) {
    if (received.size() < kV1Prefix.size()) return {};
    return parse_v1(received);
  }
  return invalid("no PROXY protocol header");
}

}  // namespace mailactor::protocol
