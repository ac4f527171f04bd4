#include "actors/auth/auth_front.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <deque>
#include <map>
#include <optional>

#include "actors/actor_meter.hpp"

namespace mailactor::auth {
namespace {

using actors::actor_stats;

struct FrontState {
  static inline const char* name = "auth_front";
  auth_actor backend;
  std::string backend_name;
  std::chrono::milliseconds timeout{5000};
  std::deque<auth_actor> retired;
  uint64_t requests = 0, ok = 0, invalid = 0, temporary = 0, timeouts = 0, swaps = 0;
  uint64_t locked_out = 0;  // requests refused by the failure budget
  std::unique_ptr<AuthBudget> budget;
  uint64_t mailbox_high_water = 0;
  actors::HandlerMeter meter;
  std::map<std::string, actors::LatencyHistogram> latency;  // by backend name
};

using Self = auth_front_actor::stateful_pointer<FrontState>;

// The client (or its network) has spent its failure budget: refused before any backend sees it.
std::optional<auth_result> over_budget(Self self, const auth_request& req) {
  auto& st = self->state;
  std::string key = st.budget->locked(req.client_addr);
  if (key.empty()) return std::nullopt;
  ++st.locked_out;
  return auth_result::temporary_failure("too many failed attempts from " + key +
                                        ": locked out for a while");
}

// The backend's answer counted (and an invalid one charged to the client's budget), then passed on.
void count_answer(Self self, const auth_result& r, const std::string& client) {
  auto& s = self->state;
  switch (r.get()) {
    case auth_status::ok:
      ++s.ok;
      break;
    case auth_status::invalid:
      ++s.invalid;
      s.budget->failed(client);
      break;
    case auth_status::temporary_failure:
      ++s.temporary;
      break;
  }
}

caf::result<auth_result> on_authenticate(Self self, auth_request& req) {
  actors::HandlerClock clock{self->state.meter};
  auto& st = self->state;
  ++st.requests;
  st.mailbox_high_water = std::max<uint64_t>(st.mailbox_high_water, self->mailbox().size());
  if (auto refused = over_budget(self, req)) return *refused;
  const auto sent = std::chrono::steady_clock::now();
  const std::string backend_name = st.backend_name;
  const std::string client = req.client_addr;
  auto rp = self->make_response_promise<auth_result>();
  self->request(st.backend, st.timeout, authenticate_atom::value, std::move(req))
      .then(
          [=](auth_result& r) mutable {
            self->state.latency[backend_name].observe(std::chrono::steady_clock::now() - sent);
            count_answer(self, r, client);
            rp.deliver(std::move(r));
          },
          [=](caf::error& e) mutable {
            ++self->state.timeouts;
            self->state.latency[backend_name].observe(std::chrono::steady_clock::now() - sent);
            rp.deliver(auth_result::temporary_failure("backend " + backend_name + ": " +
                                                      self->system().render(e)));
          });
  return rp;
}

// Requests sent to the old backend end within the timeout; it is kept until then.
void on_swap(Self self, auth_actor next, std::string& name) {
  actors::HandlerClock clock{self->state.meter};
  auto& st = self->state;
  spdlog::info("auth: backend {} replaced by {}", st.backend_name, name);
  st.retired.push_back(std::move(st.backend));
  st.backend = std::move(next);
  st.backend_name = std::move(name);
  ++st.swaps;
  self->delayed_send(self, st.timeout + std::chrono::seconds(1), retire_atom::value);
}

void on_retire(Self self) {
  auto& st = self->state;
  if (st.retired.empty()) return;
  self->send_exit(st.retired.front(), caf::exit_reason::user_shutdown);
  st.retired.pop_front();
}

actor_stats front_stats(Self self) {
  auto& st = self->state;
  actor_stats s;
  s.name = "auth_front";
  s.mailbox = self->mailbox().size();
  s.mailbox_high_water = st.mailbox_high_water;
  s.counters = {{metrics::key(metrics::Id::auth_requests), st.requests},
                {metrics::key(metrics::Id::auth_ok), st.ok},
                {metrics::key(metrics::Id::auth_invalid), st.invalid},
                {metrics::key(metrics::Id::auth_temporary), st.temporary},
                {metrics::key(metrics::Id::auth_timeouts), st.timeouts},
                {metrics::key(metrics::Id::auth_swaps), st.swaps},
                {metrics::key(metrics::Id::locked_out), st.locked_out},
                {metrics::key(metrics::Id::locked_now), st.budget->locked_count()}};
  s.handled = st.meter.handled;
  s.busy_us = st.meter.busy_us;
  for (const auto& [backend, h] : st.latency)
    s.histograms.push_back(
        actors::to_stats(metrics::key(metrics::Id::backend_latency), h, {{"backend", backend}}));
  return s;
}

auth_front_actor::behavior_type front_behavior(Self self, auth_actor backend, std::string name,
                                               std::chrono::milliseconds timeout,
                                               AuthBudgetSettings budget) {
  self->state.budget = std::make_unique<AuthBudget>(std::move(budget));
  self->state.backend = std::move(backend);
  self->state.backend_name = std::move(name);
  self->state.timeout = timeout;
  return {
      [=](authenticate_atom, auth_request& req) { return on_authenticate(self, req); },
      [=](swap_atom, auth_actor next, std::string& name) { on_swap(self, std::move(next), name); },
      [=](retire_atom) { on_retire(self); },
      [=](get_stats_atom) { return front_stats(self); },
  };
}

}  // namespace

auth_front_actor spawn_auth_front(caf::actor_system& system, auth_actor backend,
                                  std::string backend_name, std::chrono::milliseconds timeout,
                                  AuthBudgetSettings budget) {
  return system.spawn(front_behavior, std::move(backend), std::move(backend_name), timeout,
                      std::move(budget));
}

}  // namespace mailactor::auth
