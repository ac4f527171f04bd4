#include "actors/spooler.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include "storage/queue_id.hpp"

namespace mailactor::actors {
namespace {

struct SpoolerState {
  static inline const char* name = "spooler";
  queue_writer_actor writer;
  SpoolSettings settings;
  std::unique_ptr<storage::QueueIdGenerator> ids;
  uint64_t writer_depth = 0;
  bool shedding = false;
  uint64_t tickets = 0;
  uint64_t shed = 0;
  uint64_t mailbox_high_water = 0;
};

using Self = spooler_actor::stateful_pointer<SpoolerState>;

spooler_actor::behavior_type spooler_behavior(Self self, queue_writer_actor writer,
                                              SpoolSettings settings) {
  auto& st = self->state;
  st.writer = std::move(writer);
  st.settings = settings;
  st.ids = std::make_unique<storage::QueueIdGenerator>(settings.node_id);
  return {
      [=](begin_atom) {
        auto& s = self->state;
        s.mailbox_high_water = std::max<uint64_t>(s.mailbox_high_water, self->mailbox().size());
        if (s.shedding) {
          ++s.shed;
          return spool_ticket{false, {}, {}};
        }
        ++s.tickets;
        return spool_ticket{true, s.ids->next(), s.writer};
      },
      [=](depth_atom, uint64_t depth) {
        auto& s = self->state;
        s.writer_depth = depth;
        bool shed = depth > s.settings.max_pending;
        if (shed != s.shedding) {
          s.shedding = shed;
          if (shed)
            spdlog::warn("queue writer {} deep (max_pending {}): new transactions get 451", depth,
                         s.settings.max_pending);
          else
            spdlog::info("queue writer caught up: accepting transactions");
        }
      },
      [=](get_stats_atom) {
        auto& s = self->state;
        actor_stats r;
        r.name = "spooler";
        r.mailbox = self->mailbox().size();
        r.mailbox_high_water = s.mailbox_high_water;
        r.counters = {{"tickets", s.tickets},
                      {"shed", s.shed},
                      {"writer_depth", s.writer_depth},
                      {"shedding", s.shedding ? 1u : 0u}};
        return r;
      },
  };
}

}  // namespace

spooler_actor spawn_spooler(caf::actor_system& system, queue_writer_actor writer,
                            SpoolSettings settings) {
  auto spooler = system.spawn(spooler_behavior, writer, settings);
  caf::anon_send(writer, attach_atom::value, caf::actor_cast<depth_listener_actor>(spooler));
  return spooler;
}

}  // namespace mailactor::actors
