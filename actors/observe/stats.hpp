// The stats actor: collects counters that short-lived actors (sessions) push, and polls the
// long-lived actors for theirs, so one request returns the whole picture.
#pragma once

#include <caf/actor_system.hpp>

#include <vector>

#include "actors/messages.hpp"
#include "actors/session_census.hpp"

namespace mailactor::actors {

// `census`: the sessions' own count by state, for (get_stats, summary); null where no sessions
// run here (a spool node).
stats_actor spawn_stats(caf::actor_system& system,
                        std::shared_ptr<const SessionCensus> census = nullptr);

// Long-lived actors the stats actor asks on every get_stats (any actor answering get_stats_atom
// with actor_stats).
void watch(stats_actor stats, caf::actor target);

// A broker (one per I/O thread), asked for its live sessions (list_atom), each of which reports a
// session_view.
void watch_sessions(stats_actor stats, caf::actor broker);

}  // namespace mailactor::actors
