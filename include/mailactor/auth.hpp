// mailactor's authentication plug point. A backend is any actor implementing `auth_actor`: one
// request (`authenticate_atom`, `auth_request`), one answer (`auth_result`). A factory builds it
// from its `[auth.<name>]` options; register the factory under that name before
// mailactor::main (mailactor/main.hpp) and select it with `[auth] backend = "<name>"`.
//
// What mailactor adds around your actor (the "auth front"): a timeout (no answer in time is a
// temporary failure: the client gets 454, never 535), statistics, and the swap on SIGHUP, where
// requests already sent finish on the old backend and new ones go to the new one.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <mailactor/options.hpp>
#include <mailactor/password.hpp>
#include <mailactor/version.hpp>

namespace mailactor::auth {

using authenticate_atom = caf::atom_constant<caf::atom("auth")>;

// One credential check. The secret is never logged.
struct auth_request {
  std::string mechanism;  // PLAIN, LOGIN: how the client sent it (backends may ignore it)
  std::string authzid;    // empty: act as `user`
  std::string user;
  std::string secret;
  std::string client_addr;
  std::string listener;
  bool tls = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_request& x) {
  return f(caf::meta::type_name("auth_request"), x.mechanism, x.authzid, x.user, x.secret,
           x.client_addr, x.listener, x.tls);
}

enum class auth_status : uint8_t { ok = 0, invalid = 1, temporary_failure = 2 };

// ok → 235; invalid → 535; temporary_failure → 454 (your database is down: the client retries
// later instead of believing its password is wrong).
struct auth_result {
  uint8_t status = static_cast<uint8_t>(auth_status::temporary_failure);  // an auth_status
  std::string canonical_user;  // ok: the user as the backend names it (empty: as given)
  std::string reason;          // for the log, never shown to the client
  auth_status get() const { return static_cast<auth_status>(status); }
  static auth_result ok(std::string user = {}) {
    return {static_cast<uint8_t>(auth_status::ok), std::move(user), {}};
  }
  static auth_result invalid(std::string reason = {}) {
    return {static_cast<uint8_t>(auth_status::invalid), {}, std::move(reason)};
  }
  static auth_result temporary_failure(std::string reason) {
    return {static_cast<uint8_t>(auth_status::temporary_failure), {}, std::move(reason)};
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_result& x) {
  return f(caf::meta::type_name("auth_result"), x.status, x.canonical_user, x.reason);
}

// What every backend implements.
using auth_actor =
    caf::typed_actor<caf::replies_to<authenticate_atom, auth_request>::with<auth_result>>;

// The `[auth.<name>]` table (mailactor/options.hpp).
using BackendOptions = Options;
using AuthConfigError = OptionError;

// What a factory may use besides its options.
struct BackendContext {
  caf::actor_system* system = nullptr;
  std::vector<std::string> listener_hosts;  // where the server listens
};

// Builds the backend; throws AuthConfigError for bad options and std::runtime_error when the
// backend cannot work (e.g. its database file is missing). Called at start and on each SIGHUP.
using BackendFactory = std::function<auth_actor(BackendContext&, BackendOptions&)>;

// Registers `factory` under `name`; throws std::runtime_error when `api_version` is not the
// library's (use register_backend, which passes the version your code is compiled with).
void register_backend_for_api(int api_version, const std::string& name, BackendFactory factory);

inline void register_backend(const std::string& name, BackendFactory factory) {
  register_backend_for_api(MAILACTOR_API_VERSION, name, std::move(factory));
}

// A backend that hands each request to the next of `workers` (each on its own thread, e.g.
// spawned detached): one thread checks one password at a time, so slow checks (crypt(3), a
// database round trip) need several to use more than one core. The workers end with it.
auth_actor spawn_worker_pool(caf::actor_system& system, std::vector<auth_actor> workers);

}  // namespace mailactor::auth
