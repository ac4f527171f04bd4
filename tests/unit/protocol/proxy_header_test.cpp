// The PROXY protocol header: both versions, every way to split them across reads, and every
// malformation refused.
#include <gtest/gtest.h>

#include <string>

#include "protocol/proxy_header.hpp"

namespace mailactor::protocol {
namespace {

using Status = ProxyParse::Status;

std::string v2(uint8_t ver_cmd, uint8_t family, const std::string& body) {
  std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
  h += static_cast<char>(ver_cmd);
  h += static_cast<char>(family);
  h += static_cast<char>(body.size() >> 8);
  h += static_cast<char>(body.size() & 0xff);
  return h + body;
}

std::string tlv(uint8_t type, const std::string& value) {
  return std::string(1, static_cast<char>(type)) + static_cast<char>(value.size() >> 8) +
         static_cast<char>(value.size() & 0xff) + value;
}

// 192.0.2.7:40001 -> 198.51.100.1:25
const std::string kInet("\xc0\x00\x02\x07\xc6\x33\x64\x01\x9c\x41\x00\x19", 12);

// Every proper prefix asks for more; the whole (plus the client's first bytes) is done.
ProxyParse whole_after_every_split(const std::string& header) {
  for (size_t n = 0; n < header.size(); ++n) {
    auto p = parse_proxy_header(std::string_view(header).substr(0, n));
    EXPECT_EQ(p.status, Status::need_more) << "prefix of " << n << " bytes: " << p.error;
  }
  auto p = parse_proxy_header(header + "EHLO client.example\r\n");
  EXPECT_EQ(p.status, Status::done) << p.error;
  EXPECT_EQ(p.length, header.size());
  return p;
}

TEST(ProxyHeader, V1Tcp4) {
  auto p = whole_after_every_split("PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\r\n");
  EXPECT_EQ(p.header.version, 1);
  EXPECT_TRUE(p.header.has_addresses);
  EXPECT_EQ(p.header.client_address, "192.0.2.7");
  EXPECT_EQ(p.header.client_port, 40001);
  EXPECT_EQ(p.header.server_address, "198.51.100.1");
  EXPECT_EQ(p.header.server_port, 25);
}

TEST(ProxyHeader, V1Tcp6IsCanonical) {
  auto p = whole_after_every_split("PROXY TCP6 2001:DB8:0::7 2001:db8::1 0 587\r\n");
  EXPECT_EQ(p.header.client_address, "2001:db8::7");
  EXPECT_EQ(p.header.client_port, 0);
  EXPECT_EQ(p.header.server_port, 587);
}

TEST(ProxyHeader, V1UnknownKeepsTheConnectionsPeer) {
  auto p = whole_after_every_split("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n");
  EXPECT_FALSE(p.header.has_addresses);
  EXPECT_EQ(whole_after_every_split("PROXY UNKNOWN\r\n").header.version, 1);
}

TEST(ProxyHeader, V1Malformed) {
  for (const char* bad : {
           "PROXY TCP4 192.0.2.7 198.51.100.1 40001\r\n",
           "PROXY TCP4 192.0.2.7 198.51.100.1 40001 25 x\r\n",
           "PROXY TCP4 2001:db8::7 198.51.100.1 40001 25\r\n",
           "PROXY TCP6 192.0.2.7 2001:db8::1 40001 25\r\n",
           "PROXY TCP4 192.0.2.777 198.51.100.1 40001 25\r\n",
           "PROXY TCP4 192.0.2.7 198.51.100.1 65536 25\r\n",
           "PROXY TCP4 192.0.2.7 198.51.100.1 040001 25\r\n",
           "PROXY TCP4 192.0.2.7 198.51.100.1 -1 25\r\n",
           "PROXY TCP4  192.0.2.7 198.51.100.1 40001 25\r\n",
           "PROXY UDP4 192.0.2.7 198.51.100.1 40001 25\r\n",
           "PROXY TCP4 192.0.2.7 198.51.100.1 40001 25\n",
           "PROXY tcp4 192.0.2.7 198.51.100.1 40001 25\r\n",
           "PROXY UNKNOWN\nEHLO x\r\n",  // found by fuzz_proxy: a prefix said invalid, the whole
                                         // done
       }) {
    auto p = parse_proxy_header(bad);
    EXPECT_EQ(p.status, Status::invalid) << bad;
    EXPECT_FALSE(p.error.empty()) << bad;
  }
  std::string endless = "PROXY TCP6 " + std::string(200, '1');
  EXPECT_EQ(parse_proxy_header(endless).error, "v1 line longer than 107 bytes");
  EXPECT_EQ(parse_proxy_header(endless.substr(0, 106)).status, Status::need_more);
  EXPECT_EQ(parse_proxy_header(endless.substr(0, 107)).status, Status::invalid);
}

TEST(ProxyHeader, NotAProxyHeaderAtAll) {
  for (const char* bad : {"EHLO client.example\r\n", "P", "PROX\r\n", "\r\n\r\nX", "proxy "}) {
    auto p = parse_proxy_header(bad);
    EXPECT_EQ(p.status, std::string(bad) == "P" ? Status::need_more : Status::invalid) << bad;
  }
  EXPECT_EQ(parse_proxy_header("EHLO x\r\n").error, "no PROXY protocol header");
}

TEST(ProxyHeader, V2InetWithTls) {
  std::string ssl = std::string("\x05\x00\x00\x00\x00", 5) + tlv(0x21, "TLSv1.3") +
                    tlv(0x23, "TLS_AES_256_GCM_SHA384") + tlv(0x22, "client\x01one");
  auto p = whole_after_every_split(v2(0x21, 0x11, kInet + tlv(0x04, "noop") + tlv(0x20, ssl)));
  EXPECT_EQ(p.header.version, 2);
  EXPECT_TRUE(p.header.has_addresses);
  EXPECT_EQ(p.header.client_address, "192.0.2.7");
  EXPECT_EQ(p.header.client_port, 40001);
  EXPECT_EQ(p.header.server_address, "198.51.100.1");
  EXPECT_EQ(p.header.server_port, 25);
  EXPECT_TRUE(p.header.tls);
  EXPECT_EQ(p.header.tls_version, "TLSv1.3");
  EXPECT_EQ(p.header.tls_cipher, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(p.header.tls_client_cn, "client?one") << "printable only";
}

TEST(ProxyHeader, V2UnverifiedCertificateNameIsDropped) {
  std::string ssl = std::string("\x05\x00\x00\x00\x01", 5) + tlv(0x22, "mallory");
  auto p = parse_proxy_header(v2(0x21, 0x11, kInet + tlv(0x20, ssl)));
  EXPECT_EQ(p.status, Status::done);
  EXPECT_EQ(p.header.tls_client_cn, "");
}

TEST(ProxyHeader, V2Inet6) {
  std::string a(16, '\0'), b(16, '\0');
  a[0] = '\x20', a[1] = '\x01', a[2] = '\x0d', a[3] = '\xb8', a[15] = '\x07';
  b[15] = '\x01';
  auto p = whole_after_every_split(v2(0x21, 0x21, a + b + std::string("\x01\xbb\x02\x4b", 4)));
  EXPECT_EQ(p.header.client_address, "2001:db8::7");
  EXPECT_EQ(p.header.server_address, "::1");
  EXPECT_EQ(p.header.client_port, 443);
  EXPECT_EQ(p.header.server_port, 587);
}

TEST(ProxyHeader, V2LocalAndUnspecCarryNoAddress) {
  auto local = whole_after_every_split(v2(0x20, 0x00, ""));
  EXPECT_FALSE(local.header.has_addresses);
  auto local_with_body = whole_after_every_split(v2(0x20, 0x11, kInet));
  EXPECT_FALSE(local_with_body.header.has_addresses) << "LOCAL: the addresses are ignored";
  EXPECT_FALSE(whole_after_every_split(v2(0x21, 0x00, "")).header.has_addresses);
  EXPECT_FALSE(whole_after_every_split(v2(0x21, 0x31, std::string(216, 'x'))).header.has_addresses);
}

TEST(ProxyHeader, V2Malformed) {
  const std::pair<std::string, const char*> cases[] = {
      {v2(0x11, 0x11, kInet), "v2 header of version 1"},
      {v2(0x22, 0x11, kInet), "v2 unknown command"},
      {v2(0x21, 0x12, kInet), "v2 transport is not a stream"},
      {v2(0x21, 0x11, kInet.substr(0, 11)), "v2 header too short for its addresses"},
      {v2(0x21, 0x21, kInet), "v2 header too short for its addresses"},
      {v2(0x21, 0x31, std::string(215, 'x')), "v2 header too short for its addresses"},
      {v2(0x21, 0x41, kInet), "v2 unknown address family"},
      {v2(0x21, 0x11, kInet + std::string("\x04\x00\x05xy", 5)), "v2 TLV overruns the header"},
      {v2(0x21, 0x11, kInet + std::string("\x04\x00", 2)), "v2 TLV overruns the header"},
      {v2(0x21, 0x11, kInet + tlv(0x20, "\x01\x00")), "v2 TLV overruns the header"},
      {v2(0x21, 0x11, kInet + std::string(4096, '\0')), "v2 header longer than 4096 bytes"},
  };
  for (const auto& [header, error] : cases) {
    auto p = parse_proxy_header(header);
    EXPECT_EQ(p.status, Status::invalid) << error;
    EXPECT_EQ(p.error, error);
  }
}

}  // namespace
}  // namespace mailactor::protocol
