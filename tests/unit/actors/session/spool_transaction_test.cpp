// The session's spool transaction without CAF: which request comes when, and what each answer
// (in time, late, for an aborted transaction, after a lost link) means.
#include "actors/session/spool_transaction.hpp"

#include <gtest/gtest.h>

namespace mailactor::actors {
namespace {

using Kind = SpoolTransaction::Request::Kind;
using Outcome = SpoolTransaction::Outcome::Kind;
using Clock = SpoolTransaction::Clock;

constexpr size_t kChunk = 16;

protocol::Envelope envelope() {
  protocol::Envelope e;
  e.helo = "client.example";
  e.esmtp = true;
  e.mail_from = "a@b.example";
  e.rcpt_to = {"x@example.test"};
  e.params.body = protocol::BodyType::eight_bit_mime;
  e.params.size = 1234;
  return e;
}

MessageOrigin origin() {
  return {"192.0.2.7", 4711, "mx", "mx.example.test", "TLSv1.3", "X"};
}

spool_reply ok(uint64_t size = 0) {
  return spool_reply{true, size, 0, "", ""};
}

SpoolTransaction begun() {
  SpoolTransaction t;
  t.ask_ticket();
  t.ticket("Q1", false);
  EXPECT_TRUE(t.begin(envelope(), origin(), 1000));
  return t;
}

TEST(SpoolTransaction, NoBeginWithoutTicket) {
  SpoolTransaction t;
  t.ask_ticket();
  EXPECT_FALSE(t.begin(envelope(), origin(), 1000));
  EXPECT_FALSE(t.open());
  EXPECT_FALSE(t.next(kChunk, Clock::now(), 1000));
}

TEST(SpoolTransaction, RecordCarriesEnvelopeAndOrigin) {
  auto t = begun();
  const auto& m = t.meta();
  EXPECT_EQ(m.id, "Q1");
  EXPECT_EQ(m.mail_from, "a@b.example");
  EXPECT_EQ(m.rcpt_to, std::vector<std::string>{"x@example.test"});
  EXPECT_EQ(m.client_addr, "192.0.2.7");
  EXPECT_EQ(m.client_port, 4711);
  EXPECT_EQ(m.listener, "mx");
  EXPECT_EQ(m.tls_protocol, "TLSv1.3");
  EXPECT_EQ(m.params, "SIZE=1234 BODY=8BITMIME");
}

TEST(SpoolTransaction, ContentGathersToAChunkThenOneAppendAtATime) {
  auto t = begun();
  auto first = t.next(kChunk, Clock::now(), 1000);  // the Received: header alone is a chunk
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, Kind::append);
  EXPECT_EQ(first->content.rfind("Received: from client.example", 0), 0u);
  t.add(std::string(40, 'x'));
  EXPECT_FALSE(t.next(kChunk, Clock::now(), 1000)) << "one request in flight at a time";
  ASSERT_TRUE(t.claim_answer(first->seq));
  EXPECT_EQ(t.answer(first->generation, false, ok()).kind, Outcome::appended);
  auto second = t.next(kChunk, Clock::now(), 1000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->content, std::string(40, 'x'));
}

TEST(SpoolTransaction, CommitAfterEndIsQueuedWithSize) {
  auto t = begun();
  t.end();
  auto c = t.next(1 << 20, Clock::now(), 2000);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::commit);
  EXPECT_TRUE(c->commit);
  EXPECT_EQ(c->meta.received_at, 2000);
  ASSERT_TRUE(t.claim_answer(c->seq));
  auto o = t.answer(c->generation, true, ok(321));
  EXPECT_EQ(o.kind, Outcome::queued);
  EXPECT_EQ(o.queue_id, "Q1");
  EXPECT_EQ(o.reply.size, 321u);
  EXPECT_EQ(t.meta().id, "Q1") << "the record stays readable until reset";
  t.reset();
  EXPECT_FALSE(t.open());
  EXPECT_FALSE(t.has_ticket());
}

TEST(SpoolTransaction, AnswerForAnAbortedTransactionIsStale) {
  auto t = begun();
  auto a = t.next(kChunk, Clock::now(), 1000);
  ASSERT_TRUE(a);
  EXPECT_TRUE(t.must_tell_writer_on_abort());
  t.reset();
  ASSERT_TRUE(t.claim_answer(a->seq));
  EXPECT_EQ(t.answer(a->generation, false, ok()).kind, Outcome::stale);
}

TEST(SpoolTransaction, GivenUpRequestsLateAnswerIsDropped) {
  auto t = begun();
  t.end();
  auto c = t.next(1 << 20, Clock::now() - std::chrono::seconds(61), 1000);
  ASSERT_TRUE(c);
  EXPECT_TRUE(t.overdue(Clock::now(), std::chrono::seconds(60)));
  ASSERT_TRUE(t.give_up());
  EXPECT_FALSE(t.give_up()) << "only once";
  auto o = t.answer(t.generation(), t.commit_pending(), spool_local_error());
  EXPECT_EQ(o.kind, Outcome::failed);
  EXPECT_EQ(o.reply.code, 451);
  EXPECT_FALSE(t.claim_answer(c->seq)) << "the writer's late answer";
}

TEST(SpoolTransaction, LostLinkFailsTheNextRequestWithoutSendingIt) {
  SpoolTransaction t;
  t.ask_ticket();
  t.ticket("Q2", true);
  ASSERT_TRUE(t.begin(envelope(), origin(), 1000));
  EXPECT_TRUE(t.remote());
  t.lose_link();
  t.end();
  auto r = t.next(kChunk, Clock::now(), 1000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, Kind::fail_now);
  EXPECT_TRUE(r->commit);
  EXPECT_TRUE(r->content.empty());
  EXPECT_FALSE(t.must_tell_writer_on_abort()) << "a lost node is not told";
}

TEST(SpoolTransaction, StaleTicketAnswerIsNotCurrent) {
  SpoolTransaction t;
  uint64_t first = t.ask_ticket();
  uint64_t second = t.ask_ticket();
  EXPECT_FALSE(t.current(first));
  EXPECT_TRUE(t.current(second));
}

TEST(SpoolTransaction, MailParamsText) {
  protocol::MailParams p;
  EXPECT_EQ(mail_params_text(p), "");
  p.smtputf8 = true;
  EXPECT_EQ(mail_params_text(p), "SMTPUTF8");
  p.size = 5;
  p.body = protocol::BodyType::binary_mime;
  EXPECT_EQ(mail_params_text(p), "SIZE=5 BODY=BINARYMIME SMTPUTF8");
}

}  // namespace
}  // namespace mailactor::actors
