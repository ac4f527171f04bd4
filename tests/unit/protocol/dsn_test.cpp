#include "protocol/dsn.hpp"

#include <gtest/gtest.h>

namespace mailactor::protocol {
namespace {

DsnReport report() {
  DsnReport r;
  r.reporting_mta = "mx.example.test";
  r.queue_id = "1A2B";
  r.sender = "s@sender.test";
  r.arrival = 1'800'000'000;
  r.now = 1'800'000'100;
  r.recipients = {{"team@example.test", "", "carol@example.test", "failed", "5.2.2",
                   "552 5.2.2 <carol@example.test> Quota exceeded", "127.0.0.1:24"}};
  r.original = "Received: from x\r\nSubject: hi\r\n\r\nbody\r\n";
  return r;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(Dsn, ReportHasTheThreeParts) {
  auto m = dsn_message(report());
  EXPECT_EQ(m.rfind("From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n", 0), 0u);
  for (const char* part :
       {"\r\nTo: <s@sender.test>\r\n", "\r\nAuto-Submitted: auto-replied\r\n",
        "Content-Type: multipart/report; "
        "report-type=delivery-status;\r\n\tboundary=\"1A2B/mx.example.test\"",
        "\r\n--1A2B/mx.example.test\r\nContent-Type: text/plain",
        "\r\nReporting-MTA: dns; mx.example.test\r\n",
        "\r\nFinal-Recipient: rfc822; carol@example.test\r\n"
        "Original-Recipient: rfc822; team@example.test\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        "Remote-MTA: dns; 127.0.0.1:24\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 <carol@example.test> Quota exceeded\r\n",
        "Content-Type: message/rfc822\r\nContent-Description: Undelivered Message\r\n\r\n"
        "Received: from x\r\nSubject: hi\r\n\r\nbody\r\n",
        "\r\n--1A2B/mx.example.test--\r\n"})
    EXPECT_TRUE(contains(m, part)) << part << "\n---\n" << m;
  EXPECT_FALSE(contains(m, "Original-Envelope-Id"));
}

TEST(Dsn, HeadersOnlyWhenAskedOrTooLarge) {
  auto r = report();
  r.headers_only = true;
  r.envid = "QQ314159";
  auto m = dsn_message(r);
  EXPECT_TRUE(contains(m, "Content-Type: text/rfc822-headers\r\n"));
  EXPECT_TRUE(contains(m, "Original-Envelope-Id: QQ314159\r\n"));
  EXPECT_FALSE(contains(m, "body\r\n"));
  r = report();
  r.original = "Subject: big\r\n\r\n" + std::string(kDsnOriginalLimit, 'x') + "\r\n";
  m = dsn_message(r);
  EXPECT_TRUE(contains(m, "text/rfc822-headers"));
  EXPECT_LT(m.size(), 4096u);
}

TEST(Dsn, NoHeaderInjectionAndBoundaryNotInTheOriginal) {
  auto r = report();
  r.recipients[0].diagnostic = "550 evil\r\nBcc: x@y";
  r.original = "Subject: x\r\n\r\n--1A2B/mx.example.test\r\n";
  auto m = dsn_message(r);
  EXPECT_FALSE(contains(m, "\r\nBcc: x@y"));
  EXPECT_TRUE(contains(m, "boundary=\"1A2B/mx.example.test=\""));
}

TEST(Dsn, CountsReceivedHeadersOnlyInTheHeaderSection) {
  std::string m;
  for (int i = 0; i < 3; ++i)
    m += "Received: hop\r\n";
  m += "RECEIVED: shouting\r\nSubject: x\r\n\r\nReceived: in the body\r\n";
  EXPECT_EQ(count_received(m), 4u);
  EXPECT_EQ(header_section(m).substr(0, 15), "Received: hop\r\n");
  EXPECT_EQ(count_received("\r\nReceived: body only\r\n"), 0u);
}

}  // namespace
}  // namespace mailactor::protocol
