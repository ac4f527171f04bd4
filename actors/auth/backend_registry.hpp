// Authentication backends by name. A backend is any actor implementing `auth_actor`
// (actors/messages.hpp); a factory builds it from its `[auth.<name>]` options. The built-in
// ones are registered by register_builtin_backends(); your own goes in with register_backend()
// before the server starts (see README, "Write your own auth actor").
#pragma once

#include <caf/actor_system.hpp>

#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "actors/messages.hpp"

namespace mailactor::auth {

using actors::auth_actor;
using actors::auth_front_actor;
using actors::auth_request;
using actors::auth_result;
using actors::auth_status;
using actors::authenticate_atom;
using actors::get_stats_atom;
using actors::retire_atom;
using actors::swap_atom;

class AuthConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The `[auth.<name>]` table as strings, with lines for error messages. A factory takes the
// keys it knows and calls finish(), which rejects the rest.
class BackendOptions {
 public:
  struct Value {
    std::string text;
    size_t line = 0;
  };
  BackendOptions() = default;
  BackendOptions(std::string file, std::string section, std::map<std::string, Value> values)
      : file_(std::move(file)), section_(std::move(section)), values_(std::move(values)) {}

  bool has(const std::string& key) const { return values_.count(key) > 0; }
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    for (const auto& [key, v] : values_)
      k.push_back(key);
    return k;
  }
  std::string take(const std::string& key, const std::string& fallback = "");
  std::string take_required(const std::string& key);
  bool take_bool(const std::string& key, bool fallback);
  // A whole number in [min, max]; `fallback` when the key is absent.
  long take_int(const std::string& key, long fallback, long min, long max);
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  void finish() const;

 private:
  std::string file_;
  std::string section_;
  std::map<std::string, Value> values_;
  std::vector<std::string> taken_;
};

struct BackendContext {
  caf::actor_system* system = nullptr;
  std::vector<std::string> listener_hosts;  // where the server listens (allow-all checks them)
};

using BackendFactory = std::function<auth_actor(BackendContext&, BackendOptions&)>;

void register_backend(const std::string& name, BackendFactory factory);
std::vector<std::string> backend_names();
// Builds the backend; throws AuthConfigError (bad options) or std::runtime_error (unusable).
auth_actor make_backend(const std::string& name, BackendContext& ctx, BackendOptions& options);

void register_builtin_backends();

// A backend that hands each request to the next of `workers` (each on its own thread, e.g.
// spawned detached): one thread checks one password at a time, so slow checks (crypt(3), a
// database round trip) need several to use more than one core. The workers end with it.
auth_actor spawn_worker_pool(caf::actor_system& system, std::vector<auth_actor> workers);

}  // namespace mailactor::auth
