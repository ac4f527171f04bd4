// The server roles take their signals with sigwait() on the main thread, never in a handler.
#pragma once

#include <signal.h>

namespace mailactor::app {

// Blocks SIGINT, SIGTERM, SIGHUP and SIGUSR1 (every thread started afterwards inherits the
// mask) and ignores SIGPIPE. Call before the actor system starts.
sigset_t block_server_signals();

// The next of those signals.
int wait_for_signal(const sigset_t& signals);

}  // namespace mailactor::app
