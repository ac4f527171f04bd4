#include "actors/stats.hpp"

#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <map>

namespace mailactor::actors {
namespace {

using watch_atom = caf::atom_constant<caf::atom("watch")>;

struct StatsState {
  static inline const char* name = "stats";
  std::map<std::string, uint64_t> counters;
  std::vector<caf::actor> watched;
};

using StatsImpl = stats_actor::extend<caf::reacts_to<watch_atom, caf::actor>>;
using Self = StatsImpl::stateful_pointer<StatsState>;

StatsImpl::behavior_type stats_behavior(Self self) {
  // An actor that ended is no longer asked (a request to it would only time out).
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& w = self->state.watched;
    w.erase(std::remove_if(w.begin(), w.end(),
                           [&](const caf::actor& a) { return a.address() == dm.source; }),
            w.end());
  });
  return {
      [=](count_atom, const std::string& name, uint64_t delta) {
        self->state.counters[name] += delta;
      },
      [=](watch_atom, caf::actor a) {
        self->monitor(a);
        self->state.watched.push_back(std::move(a));
      },
      [=](get_stats_atom) -> caf::result<std::vector<actor_stats>> {
        auto rp = self->make_response_promise<std::vector<actor_stats>>();
        auto collected = std::make_shared<std::vector<actor_stats>>();
        actor_stats own;
        own.name = "sessions";
        own.counters = self->state.counters;
        collected->push_back(own);
        auto remaining = std::make_shared<size_t>(self->state.watched.size());
        if (*remaining == 0) return std::vector<actor_stats>{own};
        for (auto& a : self->state.watched) {
          self->request(a, std::chrono::seconds(2), get_stats_atom::value)
              .then(
                  [=](actor_stats& s) mutable {
                    collected->push_back(std::move(s));
                    if (--*remaining == 0) rp.deliver(*collected);
                  },
                  [=](caf::error&) mutable {
                    if (--*remaining == 0) rp.deliver(*collected);
                  });
        }
        return rp;
      },
  };
}

}  // namespace

stats_actor spawn_stats(caf::actor_system& system) {
  return caf::actor_cast<stats_actor>(system.spawn(stats_behavior));
}

void watch(stats_actor stats, caf::actor target) {
  caf::anon_send(caf::actor_cast<caf::actor>(stats), watch_atom::value, std::move(target));
}

}  // namespace mailactor::actors
