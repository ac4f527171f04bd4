// The types the actors exchange that CAF must know by name: the same names on both ends of a
// node link, so an edge and a spool node of the same version understand each other.
#pragma once

#include <caf/actor_system_config.hpp>

namespace mailactor::actors {

void add_message_types(caf::actor_system_config& cfg);

}  // namespace mailactor::actors
