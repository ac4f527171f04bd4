// libFuzzer target: the DATA decoder against the client-side dot-stuffer. Whatever content is
// stuffed and terminated, decoding it (in arbitrary pieces) must end exactly at the terminator
// and give the content back with its line ends normalised; raw input may never end the data on
// anything but CRLF.CRLF.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/data_decoder.hpp"

using namespace mailactor::protocol;

namespace {

// Bare CR / bare LF become CRLF, as the decoder's normalize policy does.
std::string normalized(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += "\r\n";
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 17;
  std::string_view content(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::string wire;
  DotStuffer stuffer;
  stuffer.append(content, wire);
  stuffer.finish(wire);
  wire += "NEXT";  // bytes after the terminator belong to the next command

  DataDecoder d;
  std::string out;
  size_t used = 0;
  while (used < wire.size() && !d.done()) {
    std::string_view chunk(wire.data() + used, std::min(piece, wire.size() - used));
    used += d.decode(chunk, out);
  }
  if (!d.done() || wire.substr(used) != "NEXT") std::abort();
  std::string expect = normalized(content);
  if (!expect.empty() && (expect.size() < 2 || expect.compare(expect.size() - 2, 2, "\r\n") != 0))
    expect += "\r\n";
  if (out != expect) std::abort();

  // Raw bytes: the decoder stops only right after a CRLF "." CRLF.
  DataDecoder raw;
  std::string ignored;
  size_t n = raw.decode(content, ignored);
  if (raw.done()) {
    std::string_view seen = content.substr(0, n);
    bool crlf_dot_crlf = seen.size() >= 5 && seen.substr(seen.size() - 5) == "\r\n.\r\n";
    bool at_start = seen == ".\r\n";  // the CRLF of the DATA line came before
    if (!crlf_dot_crlf && !at_start) std::abort();
  }
  return 0;
}
