// The tracer: keeps the traces of recent messages (trace/trace_ring.hpp) that sessions, the
// queue writer and the deliverer send it, and answers the live page's and `mailactor trace`'s
// questions. Runs only where traces can be read (a [metrics] listener); its senders skip tracing
// when they hold no tracer.
#pragma once

#include <caf/actor_system.hpp>

#include "actors/messages.hpp"
#include "trace/trace_ring.hpp"

namespace mailactor::actors {

tracer_actor spawn_tracer(caf::actor_system& system, trace::RingLimits limits);

// Sends `part` when there is a tracer (`sender` any actor pointer: self->send's).
template <class Self>
void send_trace(Self* sender, const tracer_actor& tracer, trace::Record part) {
  if (tracer) sender->send(tracer, trace_atom::value, std::move(part));
}

}  // namespace mailactor::actors
