// CAF's settings for every role (serve, spoold): scheduler threads, read behaviour, the message
// types that may cross a node link, and the openssl module when [node] names certificates.
#pragma once

#include <caf/actor_system_config.hpp>

#include "app/config.hpp"

namespace mailactor::app {

// Fills `sys_cfg`; returns the number of scheduler threads it chose.
size_t configure_actor_system(caf::actor_system_config& sys_cfg, const Config& cfg);

}  // namespace mailactor::app
