// The passwd-file backend as the server builds it: a front over `workers` checking threads.
// Every request is answered with its own verdict by one of them, and the option is validated.
// (That the threads check side by side is shown by bench/auth_bench.py, not timed here.)
#include <gtest/gtest.h>
#include <unistd.h>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "actors/auth/backend_registry.hpp"
#include "actors/auth/password_hash.hpp"

namespace mailactor::auth {
namespace {

caf::actor_system_config& config() {
  static caf::actor_system_config cfg;
  static bool once = [] {
    cfg.add_message_type<actors::auth_request>("mailactor::auth_request");
    cfg.add_message_type<actors::auth_result>("mailactor::auth_result");
    return true;
  }();
  (void)once;
  return cfg;
}

struct PasswdPool : ::testing::Test {
  // ctest runs each test as its own process, side by side: one file per test and process.
  std::string path = ::testing::TempDir() + "passwd_pool_test." +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name() + "." +
                     std::to_string(::getpid()) + ".passwd";
  void SetUp() override {
    register_builtin_backends();
    std::ofstream f(path);
    // bcrypt at cost 8: a few milliseconds per check, slow enough to overlap.
    f << "alice:" << hash_password("alice-secret", "$2b$08$") << "\n";
    f << "bob:{PLAIN}bob-secret\n";
  }
  void TearDown() override { std::remove(path.c_str()); }

  auth_actor make(caf::actor_system& sys, const std::string& workers) {
    BackendContext ctx;
    ctx.system = &sys;
    std::map<std::string, BackendOptions::Value> values{{"path", {path, 1}}};
    if (!workers.empty()) values["workers"] = {workers, 2};
    BackendOptions o("test.toml", "auth.passwd-file", values);
    return make_backend("passwd-file", ctx, o);
  }
};

auth_request request(std::string user, std::string secret) {
  auth_request r;
  r.user = std::move(user);
  r.secret = std::move(secret);
  return r;
}

TEST_F(PasswdPool, EveryRequestGetsItsVerdictFromTheWorkers) {
  caf::actor_system sys{config()};
  auto backend = make(sys, "3");
  caf::scoped_actor self{sys};
  // 12 requests in flight at once, good and bad passwords mixed; each answer must match its own
  // request (the pool must not mix up replies between workers).
  const int n = 12;
  std::vector<bool> good;
  std::vector<decltype(self->request(backend, std::chrono::seconds(20), authenticate_atom::value,
                                     auth_request{}))>
      pending;
  for (int i = 0; i < n; ++i) {
    good.push_back(i % 3 != 0);
    auto r = i % 2 ? request("alice", good[i] ? "alice-secret" : "wrong")
                   : request("bob", good[i] ? "bob-secret" : "wrong");
    pending.push_back(
        self->request(backend, std::chrono::seconds(20), authenticate_atom::value, r));
  }
  for (int i = 0; i < n; ++i) {
    pending[i].receive(
        [&](const auth_result& res) { EXPECT_EQ(res.get() == auth_status::ok, good[i]) << i; },
        [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  }
  self->send_exit(backend, caf::exit_reason::user_shutdown);
}

TEST_F(PasswdPool, WorkersMustBeAWholeNumberInRange) {
  caf::actor_system sys{config()};
  for (const char* bad : {"-1", "many", "2.5", "257"})
    EXPECT_THROW(make(sys, bad), AuthConfigError) << bad;
  auto backend = make(sys, "0");  // one per core
  caf::scoped_actor self{sys};
  self->request(backend, std::chrono::seconds(20), authenticate_atom::value,
                request("bob", "bob-secret"))
      .receive([](const auth_result& res) { EXPECT_EQ(res.get(), auth_status::ok); },
               [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  self->send_exit(backend, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace mailactor::auth
