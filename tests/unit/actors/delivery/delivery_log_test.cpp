// The delivery log line, field by field, for each outcome (what `grep QUEUEID mail.log` shows).
#include "actors/delivery/delivery_log.hpp"

#include <gtest/gtest.h>

namespace mailactor::actors {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;

TEST(DeliveryLog, SentRelayedThroughAHost) {
  storage::RoutedRecipient r{"Bob@Far.test", "bob@far.test", "relay", "far.test", "", ""};
  DeliveryResult d{3, RecipientState::delivered, 0, 250, "2.0.0", "Ok: queued as X", "mx.far.test"};
  EXPECT_EQ(delivery_log_line("Q1", r, 1, d, 1000, 1012),
            "Q1: to=<bob@far.test>, orig_to=<Bob@Far.test>, route=relay, relay=mx.far.test, "
            "delay=12, attempts=1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)");
}

TEST(DeliveryLog, DeferredBouncedAndExpired) {
  storage::RoutedRecipient r{
      "team@example.test", "alice@example.test", "maildir", "alice@example.test", "", ""};
  DeliveryResult d{0, RecipientState::pending, 0, 451, "4.3.0", "disk full", ""};
  EXPECT_EQ(delivery_log_line("Q2", r, 2, d, 1000, 1000),
            "Q2: to=<alice@example.test>, orig_to=<team@example.test>, route=maildir, delay=0, "
            "attempts=2, dsn=4.3.0, status=deferred (451 4.3.0 disk full)");
  d.state = RecipientState::failed;
  d.code = 550;
  d.enhanced = "5.1.3";
  d.text = "not a usable mailbox name";
  EXPECT_EQ(delivery_log_line("Q2", r, 3, d, 1000, 1060),
            "Q2: to=<alice@example.test>, orig_to=<team@example.test>, route=maildir, delay=60, "
            "attempts=3, dsn=5.1.3, status=bounced (550 5.1.3 not a usable mailbox name)");
  d.state = RecipientState::expired;
  EXPECT_NE(delivery_log_line("Q2", r, 9, d, 1000, 500000).find(", status=expired (550"),
            std::string::npos);
}

TEST(DeliveryLog, TheSameAddressIsNotRepeated) {
  storage::RoutedRecipient r{"x@example.test", "x@example.test", "ingest", "", "", ""};
  DeliveryResult d{0, RecipientState::delivered, 0, 250, "2.0.0", "delivered", ""};
  EXPECT_EQ(delivery_log_line("Q3", r, 1, d, 5, 5),
            "Q3: to=<x@example.test>, route=ingest, delay=0, attempts=1, dsn=2.0.0, status=sent "
            "(250 2.0.0 delivered)");
}

}  // namespace
}  // namespace mailactor::actors
