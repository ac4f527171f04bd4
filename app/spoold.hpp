// `mailactor spoold`: a spool node. Runs the queue writer, deliverer and spooler of the config
// and publishes the spooler at [node] listen over mutual TLS, for edges (`serve` with
// [spool] remote) to stream their transactions to. No SMTP listener.
#pragma once

#include <string>

namespace mailactor::app {

int spoold(const std::string& config);

}  // namespace mailactor::app
