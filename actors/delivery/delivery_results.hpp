// How delivery targets (and the deliverer, for a target that failed or an operator's give-up)
// spell a recipient's result, and the timing every target reports with its results.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "protocol/reply.hpp"

namespace mailactor::actors::results {

using storage::DeliveryResult;
using storage::RecipientState;

inline DeliveryResult delivered(uint32_t idx, std::string text) {
  return {idx, RecipientState::delivered, 0, 250, "2.0.0", std::move(text), ""};
}
// Tried again later (the deliverer sets when).
inline DeliveryResult temporary(uint32_t idx, std::string enhanced, std::string text,
                                std::string host = "") {
  return {
      idx, RecipientState::pending, 0, 451, std::move(enhanced), std::move(text), std::move(host)};
}
inline DeliveryResult permanent(uint32_t idx, int code, std::string enhanced, std::string text) {
  return {idx, RecipientState::failed, 0, code, std::move(enhanced), std::move(text), ""};
}

// A server's reply to a recipient (its RCPT, or the content): only a 2xx delivers and only a 5xx
// fails for good; anything else (a server's nonsense code included) is tried again rather than
// taken for an answer. `note` is added to the text ("(TLSv1.3 ...)").
inline DeliveryResult from_reply(uint32_t idx, const protocol::Reply& r, std::string host,
                                 const std::string& note = "") {
  RecipientState state = r.code / 100 == 2   ? RecipientState::delivered
                         : r.code / 100 == 5 ? RecipientState::failed
                                             : RecipientState::pending;
  std::string text;
  for (const auto& l : r.lines)
    text += (text.empty() ? "" : " ") + l;
  if (!note.empty()) text += " (" + note + ")";
  return {idx, state, 0, r.code, r.status, text, std::move(host)};
}

// Every recipient of the job gets the same answer.
inline std::vector<DeliveryResult> all(const std::vector<uint32_t>& idx, const DeliveryResult& r) {
  std::vector<DeliveryResult> out;
  for (uint32_t i : idx) {
    out.push_back(r);
    out.back().idx = i;
  }
  return out;
}

// The message went from the queue between the deliverer's read and the target's.
inline std::vector<DeliveryResult> message_gone(const delivery_job& job) {
  return all(job.idx, permanent(0, 554, "5.3.0", "message no longer in the queue"));
}

// Runs `work` (which returns the results) and fills in how long it took.
template <class F>
delivery_report timed(F&& work) {
  auto t0 = std::chrono::steady_clock::now();
  delivery_report r;
  r.results = work();
  r.busy_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  return r;
}

}  // namespace mailactor::actors::results
