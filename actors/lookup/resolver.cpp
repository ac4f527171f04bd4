#include "actors/lookup/resolver.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <vector>

namespace mailactor::actors {
namespace {

struct WorkerState {
  static inline const char* name = "resolver";
};
struct FrontState {
  static inline const char* name = "resolver_front";
  std::vector<resolver_actor> workers;
  size_t next = 0;
};

resolver_actor::behavior_type worker(resolver_actor::stateful_pointer<WorkerState>,
                                     std::shared_ptr<routing::RouterSource> router) {
  return {[=](resolve_atom, const std::string& address) {
    return router->current()->resolve(address);
  }};
}

resolver_actor::behavior_type front(resolver_actor::stateful_pointer<FrontState> self,
                                    std::vector<resolver_actor> workers) {
  for (const auto& w : workers)
    self->link_to(w);  // the workers end with the front
  self->state.workers = std::move(workers);
  return {[=](resolve_atom, const std::string& address) {
    auto& st = self->state;
    auto& w = st.workers[st.next++ % st.workers.size()];
    return self->delegate(w, resolve_atom::value, address);
  }};
}

}  // namespace

resolver_actor spawn_resolvers(caf::actor_system& system,
                               std::shared_ptr<routing::RouterSource> router, size_t workers) {
  std::vector<resolver_actor> pool;
  for (size_t i = 0; i < std::max<size_t>(1, workers); ++i)
    pool.push_back(system.spawn<caf::detached>(worker, router));
  return system.spawn(front, std::move(pool));
}

}  // namespace mailactor::actors
