// libFuzzer target: whatever a balancer (or anyone reaching a proxy-protocol listener) sends
// first. A header is done at most once, within its bytes and the size limit; every prefix of a
// done header asks for more; addresses come only with a known family.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/proxy_header.hpp"

using namespace mailactor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ProxyParse p = parse_proxy_header(in);
  if (p.status == ProxyParse::Status::invalid && p.error.empty()) std::abort();
  if (p.status != ProxyParse::Status::done) return 0;
  if (p.length == 0 || p.length > in.size() || p.length > kMaxProxyHeader) std::abort();
  if (p.header.has_addresses &&
      (p.header.client_address.empty() || p.header.server_address.empty()))
    std::abort();
  for (size_t n = 0; n < p.length; n += 1 + p.length / 16)
    if (parse_proxy_header(in.substr(0, n)).status != ProxyParse::Status::need_more) std::abort();
  for (unsigned char c : p.header.tls_version + p.header.tls_cipher + p.header.tls_client_cn)
    if (c < 0x20 || c >= 0x7f) std::abort();
  return 0;
}
