// libFuzzer target: the SMTP client against a hostile server. The first byte picks pipelining or
// one command per reply; the rest is what the server sends (huge multi-line replies, missing
// final lines, garbage, an early end): the first reply is read as the EHLO reply, the others go
// into a transaction for three recipients. Once done every recipient has a reply, a refused
// RCPT is never taken as delivered, no recipient is delivered unless DATA got its 354 (a reply
// desync, issue 30), and without pipelining only the commands the protocol allows are sent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/client_transaction.hpp"
#include "protocol/ehlo.hpp"
#include "protocol/reply_parser.hpp"

using namespace mailactor::protocol;

namespace {

void check_command(const std::string& c) {
  if (c.empty() || c == "DATA\r\n") return;
  if (c.rfind("RCPT TO:<", 0) != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool pipelining = data[0] & 1;
  ReplyParser parser;
  parser.feed(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  auto ehlo = parser.next();
  if (!ehlo) return 0;
  auto caps = parse_ehlo(*ehlo);
  if (caps.max_size != 0 && !caps.size_offered) std::abort();
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test", "c@y.test"},
                      {false, pipelining, "", {}});
  std::vector<int> rcpt_codes;
  bool rcpt_stage = false;
  bool saw_354 = false;
  while (auto r = parser.next()) {
    saw_354 = saw_354 || r->code == 354;
    auto next = t.on_reply(*r);
    if (rcpt_stage && rcpt_codes.size() < 3) rcpt_codes.push_back(r->code);
    rcpt_stage = true;
    check_command(t.take_command());
    if (next == ClientTransaction::Next::done) break;
  }
  if (!t.done()) return 0;
  for (size_t i = 0; i < t.results().size(); ++i) {
    if (!t.results()[i]) std::abort();
    const bool refused = i < rcpt_codes.size() && rcpt_codes[i] / 100 != 2;
    if (refused && t.results()[i]->code / 100 == 2) std::abort();
    if (t.results()[i]->code / 100 == 2 && !saw_354) std::abort();
  }
  return 0;
}
