#include "trace/trace_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mailactor::trace {
namespace {

using nlohmann::json;

QueuedView queued_view() {
  QueuedView q;
  auto& m = q.entry.meta;
  m.id = "ID1";
  m.mail_from = "alice@example.org";
  m.rcpt_to = {"bob@example.test"};
  m.client_addr = "192.0.2.7";
  m.client_port = 40000;
  m.listener = "smtp";
  m.helo = "client.example.org";
  m.protocol = "ESMTPS";
  m.tls_protocol = "TLSv1.3";
  m.tls_cipher = "TLS_AES_256_GCM_SHA384";
  m.received_at = 1790000000;
  m.size = 1234;
  q.entry.state = storage::MessageState::delivered;
  q.entry.delivered_at = 1790000001;
  storage::RecipientRow r;
  r.routed = {"bob@example.test", "bob@example.test", "lmtp", "", "", ""};
  r.state = storage::RecipientState::delivered;
  r.attempts = 2;
  r.last_attempt_at = 1790000001;
  r.last_code = 250;
  r.last_enhanced = "2.0.0";
  r.last_text = "saved";
  r.last_host = "127.0.0.1";
  q.recipients.push_back(r);
  return q;
}

TEST(TraceJson, RecentTraceWithItsQueueState) {
  Record r{"ID1",
           "alice@example.org",
           {"bob@example.test"},
           "192.0.2.7:40000",
           {{1790000000123456, "connect", "192.0.2.7:40000 on smtp"}},
           2};
  json j = json::parse(trace_json("ID1", &r, queued_view()));
  EXPECT_EQ(j["id"], "ID1");
  EXPECT_TRUE(j["recent"]);
  EXPECT_EQ(j["events"][0]["at"], "2026-09-21T14:13:20.123456Z");
  EXPECT_EQ(j["events"][0]["step"], "connect");
  EXPECT_EQ(j["events"][0]["source"], "recent");
  EXPECT_EQ(j["events_dropped"], 2);
  EXPECT_EQ(j["queue"]["state"], "delivered");
  EXPECT_EQ(j["queue"]["client"]["address"], "192.0.2.7");
  EXPECT_EQ(j["queue"]["recipients"][0]["last_reply"], "250 2.0.0 saved [127.0.0.1]");
  EXPECT_EQ(j["queue"]["recipients"][0]["attempts"], 2);
}

TEST(TraceJson, WithoutARecentTraceTheQueueTellsTheSteps) {
  json j = json::parse(trace_json("ID1", nullptr, queued_view()));
  EXPECT_FALSE(j["recent"]);
  EXPECT_EQ(j["from"], "alice@example.org");
  EXPECT_EQ(j["client"], "192.0.2.7:40000");
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][0]["step"], "queued");
  EXPECT_EQ(j["events"][0]["source"], "queue");
  EXPECT_NE(j["events"][0]["detail"].get<std::string>().find("TLSv1.3"), std::string::npos);
  EXPECT_EQ(j["events"][1]["step"], "delivery");
  EXPECT_NE(j["events"][1]["detail"].get<std::string>().find("attempt 2, now delivered"),
            std::string::npos);
}

TEST(TraceJson, NotQueuedHere) {
  Record r{"ID2", "", {}, "", {{5, "delivery", "x"}}, 0};
  json j = json::parse(trace_json("ID2", &r, std::nullopt));
  EXPECT_TRUE(j["queue"].is_null());
}

TEST(TraceJson, SearchListsFirstAndLastSteps) {
  std::vector<Record> found{{"ID1",
                             "a@b",
                             {"c@d"},
                             "192.0.2.7:1",
                             {{1000000, "connect", "x"}, {3000000, "delivery", "250"}},
                             0}};
  json j = json::parse(search_json(found));
  ASSERT_EQ(j["messages"].size(), 1u);
  EXPECT_EQ(j["messages"][0]["id"], "ID1");
  EXPECT_EQ(j["messages"][0]["last_step"], "delivery");
  EXPECT_EQ(j["messages"][0]["first_at"], "1970-01-01T00:00:01.000000Z");
}

TEST(TraceJson, MicrosecondTimes) {
  EXPECT_EQ(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(rfc3339_us(1790000000000001), "2026-09-21T14:13:20.000001Z");
}

}  // namespace
}  // namespace mailactor::trace
