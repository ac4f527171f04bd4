// libFuzzer target: arbitrary bytes as the client's side of a TLS connection, in arbitrary
// pieces. Handshake garbage must end in a clean failure, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "actors/tls/selfsigned.hpp"
#include "actors/tls/tls_context.hpp"
#include "actors/tls/tls_stream.hpp"

using namespace mailactor::tls;

namespace {
std::shared_ptr<TlsContext> context() {
  static std::shared_ptr<TlsContext> ctx = [] {
    auto dir = std::filesystem::temp_directory_path() / "mailactor-fuzz-tls";
    write_self_signed(dir.string(), "fuzz.example");
    return TlsContext::load(
        {(dir / "cert.pem").string(), (dir / "key.pem").string(), TLS1_2_VERSION});
  }();
  return ctx;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  TlsStream server(context());
  size_t step = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string plain;
  for (size_t pos = 0; pos < in.size(); pos += step) {
    auto st = server.receive(in.substr(pos, step), plain);
    server.take_output();
    if (st != TlsStream::Status::ok) break;
  }
  if (!server.handshake_done() && !plain.empty()) std::abort();  // no data before a handshake
  return 0;
}
