// CAF's settings for every role (serve, spoold): scheduler threads, read behaviour, the message
// types that may cross a node link, and the openssl module when [node] names certificates.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <chrono>
#include <memory>

#include "app/config.hpp"

namespace mailactor::app {

// The middleman (I/O thread) and the message types: for the main system and each further I/O
// thread's.
void configure_middleman(caf::actor_system_config& sys_cfg);

// Fills `sys_cfg`; returns the number of scheduler threads it chose.
size_t configure_actor_system(caf::actor_system_config& sys_cfg, const Config& cfg);

// Destroys the actor system after every actor was stopped, waiting at most `limit`: CAF 0.17.6's
// ~actor_system waits without limit for each detached actor's thread, and that thread waits
// until the actor object is released. On a spool node something inside CAF sometimes keeps the
// queue writer's last reference after it stopped (docs/caf-0.17-notes.md); everything is
// committed and logged by then, so after `limit` the process exits with `rc` instead of hanging.
void end_actor_system(std::unique_ptr<caf::actor_system> system, int rc,
                      std::chrono::seconds limit);

}  // namespace mailactor::app
