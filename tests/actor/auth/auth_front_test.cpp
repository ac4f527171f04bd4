// The auth front in a real actor system: delegation, a backend that never answers (454, not a
// hang, never 535), and a swap while requests are pending on the old backend.
#include <gtest/gtest.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <thread>

#include "actors/auth/auth_front.hpp"

namespace mailactor::auth {
namespace {

using namespace std::chrono_literals;

caf::actor_system_config& config() {
  static caf::actor_system_config cfg;
  static bool once = [] {
    cfg.add_message_type<actors::auth_request>("mailactor::auth_request");
    cfg.add_message_type<actors::auth_result>("mailactor::auth_result");
    cfg.add_message_type<actors::actor_stats>("mailactor::actor_stats");
    return true;
  }();
  (void)once;
  return cfg;
}

// Answers ok for user "good" after `delay`, invalid otherwise; never answers for "silent".
auth_actor::behavior_type scripted(auth_actor::pointer self, std::string tag,
                                   std::chrono::milliseconds delay) {
  return {
      [=](authenticate_atom, const auth_request& r) -> caf::result<auth_result> {
        // (A response promise takes the request over: make one only when answering later.)
        if (r.user == "silent")
          return self->make_response_promise<auth_result>();  // never delivered
        auth_result res = r.user == "good" ? auth_result::ok(tag) : auth_result::invalid(tag);
        if (delay.count() == 0) return res;
        auto rp = self->make_response_promise<auth_result>();
        // A slow backend: the answer comes later, from elsewhere.
        std::thread([rp, res, delay]() mutable {
          std::this_thread::sleep_for(delay);
          rp.deliver(res);
        }).detach();
        return rp;
      },
  };
}

auth_result ask(caf::scoped_actor& self, const auth_front_actor& front, const std::string& user) {
  auth_result out;
  self->request(front, 10s, authenticate_atom::value,
                auth_request{"PLAIN", "", user, "pw", "", "", false})
      .receive([&](auth_result& r) { out = r; },
               [&](caf::error&) { ADD_FAILURE() << "no answer"; });
  return out;
}

TEST(AuthFront, DelegatesToTheBackend) {
  caf::actor_system system{config()};
  auto front = spawn_auth_front(system, system.spawn(scripted, std::string("A"), 0ms), "A", 2000ms);
  caf::scoped_actor self{system};
  auto ok = ask(self, front, "good");
  EXPECT_EQ(ok.get(), auth_status::ok);
  EXPECT_EQ(ok.canonical_user, "A");
  EXPECT_EQ(ask(self, front, "bad").get(), auth_status::invalid);
  self->send_exit(front, caf::exit_reason::user_shutdown);
}

TEST(AuthFront, SilentBackendIsATemporaryFailure) {
  caf::actor_system system{config()};
  auto front = spawn_auth_front(system, system.spawn(scripted, std::string("A"), 0ms), "A", 300ms);
  caf::scoped_actor self{system};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(ask(self, front, "silent").get(), auth_status::temporary_failure);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  self->send_exit(front, caf::exit_reason::user_shutdown);
}

TEST(AuthFront, SwapKeepsPendingRequestsOnTheOldBackend) {
  caf::actor_system system{config()};
  auto old_backend = system.spawn(scripted, std::string("old"), 300ms);
  auto front = spawn_auth_front(system, old_backend, "old", 2000ms);
  caf::scoped_actor self{system};
  // A request in flight on the old backend...
  auto pending = self->request(front, 10s, authenticate_atom::value,
                               auth_request{"PLAIN", "", "good", "pw", "", "", false});
  std::this_thread::sleep_for(50ms);
  // ...then the swap...
  self->send(front, swap_atom::value, system.spawn(scripted, std::string("new"), 0ms),
             std::string("new"));
  // ...new requests go to the new backend at once, the pending one is answered by the old.
  EXPECT_EQ(ask(self, front, "good").canonical_user, "new");
  pending.receive([](auth_result& r) { EXPECT_EQ(r.canonical_user, "old"); },
                  [](caf::error&) { ADD_FAILURE() << "pending request lost in the swap"; });
  actors::actor_stats stats;
  self->request(front, 5s, get_stats_atom::value)
      .receive([&](actors::actor_stats& s) { stats = s; }, [](caf::error&) {});
  EXPECT_EQ(stats.counters["swaps"], 1u);
  self->send_exit(front, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace mailactor::auth
