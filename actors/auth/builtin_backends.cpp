// The built-in backends: passwd-file, dovecot, allow-all (static-map and http have files of
// their own). Each is a small actor implementing auth_actor; the ones that block (crypt(3) work,
// a socket to Dovecot) get their own thread.
#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "actors/auth/backend_registry.hpp"
#include "actors/auth/dovecot_client.hpp"
#include "actors/auth/passwd_file.hpp"
#include "routing/networks.hpp"

namespace mailactor::auth {

void register_static_map_backend();  // example_static_map.cpp
void register_http_backend();        // http_backend.cpp

// Linked, the workers end with the front when the auth front retires it after a swap.
auth_actor spawn_worker_pool(caf::actor_system& system, std::vector<auth_actor> workers) {
  if (workers.empty()) throw std::invalid_argument("spawn_worker_pool: no workers");
  return system.spawn(
      [](auth_actor::pointer self, std::vector<auth_actor> ws) -> auth_actor::behavior_type {
        for (const auto& w : ws)
          self->link_to(w);
        auto next = std::make_shared<size_t>(0);
        return {
            [=](authenticate_atom a, auth_request& r) -> caf::delegated<auth_result> {
              const auto& w = ws[(*next)++ % ws.size()];
              return self->delegate(w, a, std::move(r));
            },
        };
      },
      std::move(workers));
}

namespace {

auth_actor::behavior_type passwd_file_backend(auth_actor::pointer,
                                              std::shared_ptr<const PasswdFile> file) {
  return {
      [=](authenticate_atom, const auth_request& r) {
        // RFC 4616 authzid: acting as someone else is not supported by a passwd-file.
        if (!r.authzid.empty() && r.authzid != r.user)
          return auth_result::invalid("authzid " + r.authzid + " not allowed");
        return file->check(r.user, r.secret) ? auth_result::ok(r.user)
                                             : auth_result::invalid("bad user or password");
      },
  };
}

// crypt(3) is slow on purpose (milliseconds per check): on one thread it would cap AUTH at a
// few hundred a second whatever the cores.
auth_actor make_passwd_file(BackendContext& ctx, BackendOptions& o) {
  std::string path = o.take_required("path");
  const long cores = std::max(1u, std::thread::hardware_concurrency());
  const long workers = o.take_int("workers", 0, 0, 256);
  auto file = std::make_shared<PasswdFile>(PasswdFile::load(path));
  for (const auto& p : file->problems())
    spdlog::warn("passwd-file {}:{}: {} (line skipped)", path, p.line, p.what);
  const size_t n = static_cast<size_t>(workers > 0 ? workers : cores);
  spdlog::info("auth: passwd-file {} with {} users, {} worker thread{}", path, file->size(), n,
               n == 1 ? "" : "s");
  std::vector<auth_actor> pool;
  for (size_t i = 0; i < n; ++i)
    pool.push_back(ctx.system->spawn<caf::detached>(passwd_file_backend,
                                                    std::shared_ptr<const PasswdFile>(file)));
  return spawn_worker_pool(*ctx.system, std::move(pool));
}

auth_actor::behavior_type dovecot_backend(auth_actor::pointer,
                                          std::shared_ptr<DovecotClient> client) {
  return {
      [=](authenticate_atom, const auth_request& r) {
        auto res = client->authenticate(r.authzid, r.user, r.secret, r.client_addr, r.tls);
        switch (res.outcome) {
          case DovecotClient::Outcome::ok:
            return auth_result::ok(res.user);
          case DovecotClient::Outcome::invalid:
            return auth_result::invalid(res.reason);
          case DovecotClient::Outcome::temporary_failure:
            break;
        }
        return auth_result::temporary_failure(res.reason);
      },
  };
}

auth_actor make_dovecot(BackendContext& ctx, BackendOptions& o) {
  std::string socket = o.take_required("socket");
  std::string service = o.take("service", "smtp");
  auto client = std::make_shared<DovecotClient>(socket, service, std::chrono::seconds(4));
  try {
    client->connect();
    spdlog::info("auth: dovecot at {}", socket);
  } catch (const std::exception& e) {
    // Dovecot may start after us: AUTH answers 454 until it is there.
    spdlog::warn("auth: dovecot not reachable yet ({}); AUTH gets 454 until it is", e.what());
  }
  return ctx.system->spawn<caf::detached>(dovecot_backend, client);
}

auth_actor make_allow_all(BackendContext& ctx, BackendOptions& o) {
  bool force = o.take_bool("force", false);
  for (const auto& h : ctx.listener_hosts) {
    if (!routing::is_loopback_host(h) && !force)
      o.fail("force", "allow-all accepts any password: refusing to serve it on " + h +
                          " (set force = true if you really mean it)");
  }
  spdlog::warn("auth: allow-all accepts ANY credentials: for capture and test setups only");
  // The note is an argument because CAF 0.17.6 dereferences a null argument tuple when an
  // actor is spawned without arguments (UBSan reports it).
  return ctx.system->spawn(
      [](std::string note) -> auth_actor::behavior_type {
        return {[=](authenticate_atom, const auth_request& r) {
          auto ok = auth_result::ok(r.user);
          ok.reason = note;
          return ok;
        }};
      },
      std::string("allow-all"));
}

}  // namespace

void register_builtin_backends() {
  register_builtin_backend("passwd-file", make_passwd_file);
  register_builtin_backend("dovecot", make_dovecot);
  register_builtin_backend("allow-all", make_allow_all);
  register_static_map_backend();
  register_http_backend();
}

}  // namespace mailactor::auth
