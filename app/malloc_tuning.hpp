// glibc malloc settings for the long-running servers (serve, spoold).
#pragma once

namespace mailactor::app {

// Keeps freed memory for reuse instead of handing it back to the kernel after every message.
// Does nothing when GLIBC_TUNABLES sets malloc options: the operator's choice wins.
void tune_malloc();

}  // namespace mailactor::app
