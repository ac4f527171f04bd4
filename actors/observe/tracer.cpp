#include "actors/observe/tracer.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <caf/typed_event_based_actor.hpp>

#include "actors/actor_meter.hpp"

namespace mailactor::actors {
namespace {

struct TracerState {
  static inline const char* name = "tracer";
  trace::Ring ring;
  uint64_t parts = 0;
  uint64_t mailbox_high_water = 0;
  HandlerMeter meter;
};

using Self = tracer_actor::stateful_pointer<TracerState>;

// A search answer lists messages, not their whole paths: the last event says where each is.
trace::Record summary_of(const trace::Record& r) {
  trace::Record s{r.id, r.mail_from, r.rcpt, r.client, {}, r.events_dropped};
  if (!r.events.empty()) {
    s.events.push_back(r.events.front());
    if (r.events.size() > 1) s.events.push_back(r.events.back());
  }
  return s;
}

tracer_actor::behavior_type tracer_behavior(Self self, trace::RingLimits limits) {
  self->state.ring = trace::Ring(limits);
  return {
      [=](trace_atom, trace::Record& part) {
        HandlerClock clock{self->state.meter};
        ++self->state.parts;
        self->state.ring.add(std::move(part));
      },
      [=](trace_atom, const std::vector<std::string>& ids, const trace::Event& e) {
        HandlerClock clock{self->state.meter};
        ++self->state.parts;
        self->state.ring.add(ids, e);
      },
      [=](trace_atom, const std::string& id) {
        HandlerClock clock{self->state.meter};
        std::vector<trace::Record> out;
        if (const trace::Record* r = self->state.ring.find(id)) out.push_back(*r);
        return out;
      },
      [=](trace_search_atom, const std::string& text, uint32_t limit) {
        HandlerClock clock{self->state.meter};
        std::vector<trace::Record> out;
        for (const trace::Record* r : self->state.ring.search(text, limit))
          out.push_back(summary_of(*r));
        return out;
      },
      [=](get_stats_atom) {
        auto& st = self->state;
        actor_stats s;
        s.name = TracerState::name;
        s.mailbox = self->mailbox().size();
        st.mailbox_high_water = std::max(st.mailbox_high_water, s.mailbox);
        s.mailbox_high_water = st.mailbox_high_water;
        s.handled = st.meter.handled;
        s.busy_us = st.meter.busy_us;
        s.counters = {{metrics::key(metrics::Id::trace_parts), st.parts},
                      {metrics::key(metrics::Id::traced_messages), st.ring.size()},
                      {metrics::key(metrics::Id::forgotten_messages), st.ring.forgotten()}};
        return s;
      },
  };
}

}  // namespace

tracer_actor spawn_tracer(caf::actor_system& system, trace::RingLimits limits) {
  return system.spawn(tracer_behavior, limits);
}

}  // namespace mailactor::actors
