// `mailactor serve`: wires the actors to the config and runs until SIGTERM/SIGINT.
#pragma once

#include <string>

namespace mailactor::app {

struct ServeOptions {
  std::string config = "conf/mailactor.toml";
  std::string listen;   // overrides the listeners' addresses when set
  std::string spool;    // overrides [spool] directory when set
  std::string maildir;  // overrides [delivery] maildir when set
};

int serve(const ServeOptions& options);

}  // namespace mailactor::app
