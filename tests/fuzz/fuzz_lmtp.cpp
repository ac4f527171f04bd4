// libFuzzer target: the LMTP client's reply handling. Bytes from a (hostile) LMTP server go
// through the reply parser into a transaction for three recipients: it never gives a recipient
// two replies or one that is not a reply it read, and once done every recipient has one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocol/lmtp_transaction.hpp"
#include "protocol/reply_parser.hpp"

using namespace mailactor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReplyParser parser;
  parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  LmtpTransaction t("s@x.test", {"a@y.test", "b@y.test", "c@y.test"});
  size_t replies = 0;
  while (auto r = parser.next()) {
    ++replies;
    if (t.on_reply(*r) == LmtpTransaction::Next::done) break;
  }
  if (t.done()) {
    for (const auto& r : t.results())
      if (!r || r->code < 100 || r->code > 599) std::abort();
  } else if (replies >= 1 + 3 + 1 + 3) {
    std::abort();  // enough replies were read to finish
  }
  return 0;
}
