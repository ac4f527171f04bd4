// libFuzzer target: the RFC 5321 path and parameter parsers. A path that parses must respect
// the length limits, and parsing what it renders must give the same address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/address.hpp"

using namespace mailactor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool utf8 = data[0] & 1, allow_null = data[0] & 2, postmaster = data[0] & 4;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  PathParse p = parse_path(text, allow_null, postmaster, utf8);
  if (p.error == PathError::none && !p.path.null && !p.path.domain.empty()) {
    if (p.path.local.size() > kMaxLocalPart || p.path.domain.size() > kMaxDomain) std::abort();
    PathParse again = parse_path("<" + p.path.address() + ">", false, false, utf8);
    if (again.error != PathError::none || again.path.address() != p.path.address()) std::abort();
  }
  if (p.error == PathError::none && !utf8 && !is_valid_utf8(p.path.address())) std::abort();
  PathArgument a = split_path_argument(text, "FROM:");
  if (a.ok && (a.path.empty() || a.path.front() != '<' || a.path.back() != '>')) std::abort();
  (void)is_domain(text, utf8);
  (void)is_ehlo_argument(text);
  return 0;
}
