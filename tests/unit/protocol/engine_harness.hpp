// A scripted host for the engine: performs its actions the way the session actor does, with
// policies the test chooses, and records what a client and a spool would have seen.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/engine.hpp"
#include "protocol/reply_parser.hpp"

namespace mailactor::protocol::testing {

struct Harness {
  explicit Harness(EngineConfig cfg = {}) : engine(std::move(cfg)) {}

  Engine engine;
  std::string wire;                 // all bytes sent to the client
  size_t sends = 0;                 // how many Send actions (write calls)
  std::vector<std::string> queued;  // committed messages
  std::vector<Envelope> envelopes;  // their envelopes
  std::string current;              // content of the open message
  bool open = false;
  int begun = 0;
  int aborted = 0;
  bool closed = false;
  int tls_starts = 0;
  std::vector<action::Authenticate> auth_calls;
  std::vector<std::string> sender_checks;
  std::vector<std::string> recipient_checks;
  std::vector<RcptParams> recipient_params;

  std::function<Verdict(const std::string&)> sender_policy = [](const std::string&) {
    return Verdict::accept();
  };
  std::function<Verdict(const std::string&)> recipient_policy = [](const std::string&) {
    return Verdict::accept();
  };
  AuthOutcome auth_outcome = AuthOutcome::ok;
  bool hold_commit = false;  // leave EndMessage unanswered
  Envelope pending_envelope;

  void apply(Actions actions) {
    for (auto& a : actions) {
      if (auto* s = std::get_if<action::Send>(&a)) {
        wire += s->bytes;
        ++sends;
      } else if (auto* c = std::get_if<action::CheckSender>(&a)) {
        sender_checks.push_back(c->address);
        apply(engine.sender_checked(sender_policy(c->address)));
      } else if (auto* r = std::get_if<action::CheckRecipient>(&a)) {
        recipient_checks.push_back(r->address);
        recipient_params.push_back(r->params);
        apply(engine.recipient_checked(recipient_policy(r->address)));
      } else if (auto* au = std::get_if<action::Authenticate>(&a)) {
        auth_calls.push_back(*au);
        apply(engine.auth_result(auth_outcome));
      } else if (auto* b = std::get_if<action::BeginMessage>(&a)) {
        EXPECT_FALSE(open) << "BeginMessage while a message is open";
        open = true;
        ++begun;
        current.clear();
        pending_envelope = b->envelope;
      } else if (auto* m = std::get_if<action::MessageChunk>(&a)) {
        EXPECT_TRUE(open) << "chunk outside a message";
        current += m->bytes;
      } else if (std::holds_alternative<action::EndMessage>(a)) {
        EXPECT_TRUE(open);
        open = false;
        if (!hold_commit) {
          queued.push_back(current);
          envelopes.push_back(pending_envelope);
          apply(engine.queued("Q" + std::to_string(queued.size())));
        }
      } else if (std::holds_alternative<action::AbortMessage>(a)) {
        open = false;
        ++aborted;
        current.clear();
      } else if (std::holds_alternative<action::StartTls>(a)) {
        ++tls_starts;
      } else if (std::holds_alternative<action::Close>(a)) {
        closed = true;
      }
    }
  }

  // Feeds bytes and returns what the engine sent in response.
  std::string input(std::string_view bytes) {
    size_t before = wire.size();
    apply(engine.input(bytes));
    return wire.substr(before);
  }
  std::string greet() {
    size_t before = wire.size();
    apply(engine.greet());
    return wire.substr(before);
  }
  std::string ehlo() {
    greet();
    return input("EHLO client.example\r\n");
  }
  // The replies sent so far, parsed as a client would.
  std::vector<Reply> replies() const {
    ReplyParser p;
    p.feed(wire);
    std::vector<Reply> out;
    while (auto r = p.next())
      out.push_back(*r);
    return out;
  }
  std::vector<int> codes_of(std::string_view bytes) const {
    ReplyParser p;
    p.feed(bytes);
    std::vector<int> out;
    while (auto r = p.next())
      out.push_back(r->code);
    return out;
  }
};

// First reply line of a response: "250 2.1.0 Ok".
inline std::string first_line(const std::string& s) {
  return s.substr(0, s.find("\r\n"));
}

}  // namespace mailactor::protocol::testing
