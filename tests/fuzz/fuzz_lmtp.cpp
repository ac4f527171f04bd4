// libFuzzer target: the LMTP client's reply handling. Bytes from a (hostile) LMTP server go
// through the reply parser into a transaction for three recipients: once done every recipient has
// a reply, a recipient whose RCPT got anything but 2xx is never taken as delivered, and none is
// delivered unless DATA got its 354 (a reply desync, issue 30).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/client_transaction.hpp"
#include "protocol/reply_parser.hpp"

using namespace mailactor::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ReplyParser parser;
  parser.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  ClientTransaction t("s@x.test", {"a@y.test", "b@y.test", "c@y.test"}, {true, true, "", {}});
  std::vector<Reply> read;
  while (auto r = parser.next()) {
    read.push_back(*r);
    if (t.on_reply(*r) == ClientTransaction::Next::done) break;
  }
  if (t.done()) {
    for (size_t i = 0; i < t.results().size(); ++i) {
      if (!t.results()[i]) std::abort();
      // A refused RCPT (reply 2 + i) stays refused, whatever came after the data.
      bool rcpt_refused = read.size() > 1 + i && read[1 + i].code / 100 != 2;
      if (rcpt_refused && t.results()[i]->code / 100 == 2 && read[0].code / 100 == 2) std::abort();
      bool saw_354 = false;
      for (const auto& r : read)
        saw_354 = saw_354 || r.code == 354;
      if (t.results()[i]->code / 100 == 2 && !saw_354) std::abort();
    }
  } else if (read.size() >= 1 + 3 + 1 + 3) {
    std::abort();  // enough replies were read to finish
  }
  return 0;
}
