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

struct Config;
// What serve refuses at start beyond the config file's own checks: the account to run as, the
// relay setup, each TLS listener's certificate and key, the auth backend and its options (built in
// a throwaway actor system through the same factory serve uses). `check-config` runs it, so the two
// never differ. Throws std::exception with the reason.
void check_startable(const Config& cfg);

}  // namespace mailactor::app
