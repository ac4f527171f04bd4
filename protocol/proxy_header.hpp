// The PROXY protocol header a TCP load balancer (HAProxy's send-proxy / send-proxy-v2, cloud
// NLBs) puts before the client's first byte, carrying the real client's address: version 1
// (one text line, at most 107 bytes) and version 2 (a binary header with optional TLVs), as
// haproxy's doc/proxy-protocol.txt specifies. Pure parsing: the caller keeps the bytes received
// so far and asks again until the answer is not need_more; nothing after the header is read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailactor::protocol {

struct ProxyHeader {
  int version = 0;  // 1 or 2
  // False for v1 "UNKNOWN", a v2 LOCAL command (the balancer's own health check) or an address
  // family without IP addresses: the connection's own peer then stands.
  bool has_addresses = false;
  std::string client_address;  // textual IPv4 or IPv6 (no brackets)
  uint16_t client_port = 0;
  std::string server_address;  // where the client connected to on the balancer
  uint16_t server_port = 0;
  // v2 PP2_TYPE_SSL: the client spoke TLS to the balancer.
  bool tls = false;
  std::string tls_version;  // "TLSv1.3"
  std::string tls_cipher;
  std::string tls_client_cn;  // a verified client certificate's CN
};

struct ProxyParse {
  enum class Status { need_more, done, invalid } status = Status::need_more;
  size_t length = 0;  // done: the header's bytes (the client's data starts after them)
  ProxyHeader header;
  std::string error;  // invalid: why, for the log
};

// The longest header accepted: a v2 header with more TLVs than this is refused as invalid.
constexpr size_t kMaxProxyHeader = 4096;

ProxyParse parse_proxy_header(std::string_view received);

}  // namespace mailactor::protocol
