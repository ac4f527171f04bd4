// libFuzzer target: drives a whole server session with arbitrary client bytes, split where the
// first input byte says, and answers every host action. Checks the engine's invariants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "protocol/engine.hpp"

using namespace mailactor::protocol;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct Host {
  Engine engine;
  bool open = false;
  uint64_t size = 0;
  unsigned turn = 0;
  explicit Host(EngineConfig c) : engine(std::move(c)) {}

  void apply(Actions actions) {
    for (auto& a : actions) {
      ++turn;
      if (std::holds_alternative<action::CheckSender>(a)) {
        apply(engine.sender_checked(turn % 5 ? Verdict::accept()
                                             : Verdict::reject(reply(550, "5.7.1", "no"))));
      } else if (std::holds_alternative<action::CheckRecipient>(a)) {
        apply(engine.recipient_checked(turn % 7 ? Verdict::accept()
                                                : Verdict::reject(reply(550, "5.7.1", "no"))));
      } else if (std::holds_alternative<action::Authenticate>(a)) {
        apply(engine.auth_result(static_cast<AuthOutcome>(turn % 3)));
      } else if (std::holds_alternative<action::BeginMessage>(a)) {
        check(!open);
        open = true;
        size = 0;
      } else if (auto* m = std::get_if<action::MessageChunk>(&a)) {
        check(open);
        size += m->bytes.size();
        check(size <= 4096);  // the configured limit is never exceeded downstream
      } else if (std::holds_alternative<action::EndMessage>(a)) {
        check(open);
        open = false;
        apply(turn % 11 ? engine.queued("Q") : engine.spool_failed(reply(451, "4.3.0", "x")));
      } else if (std::holds_alternative<action::AbortMessage>(a)) {
        open = false;
      } else if (std::holds_alternative<action::StartTls>(a)) {
        apply(engine.tls_started());
      }
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  EngineConfig cfg;
  cfg.max_message_size = 4096;
  cfg.max_recipients = 5;
  cfg.starttls = data[0] & 1;
  cfg.allow_plaintext_auth = data[0] & 2;
  cfg.auth_mechanisms = {"PLAIN", "LOGIN"};
  cfg.bare_newline = (data[0] & 4) ? BareNewline::reject : BareNewline::normalize;
  cfg.max_errors = (data[0] & 8) ? 0 : 50;
  size_t step = 1 + (data[0] >> 4) * 7;  // how the bytes are cut into reads
  Host host(cfg);
  host.apply(host.engine.greet());
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (size_t pos = 0; pos < in.size(); pos += step) {
    host.apply(host.engine.input(in.substr(pos, step)));
    check(host.engine.buffered_bytes() <= step + 12288);
  }
  host.apply(host.engine.timeout());
  check(!host.open);
  return 0;
}
