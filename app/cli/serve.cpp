// `mailactor serve` and `mailactor spoold`: run the server, or a spool node.
#include <memory>

#include "app/cli/commands.hpp"
#include "app/serve.hpp"
#include "app/spoold.hpp"

namespace mailactor::app::cli {

Command add_serve(CLI::App& app) {
  auto opts = std::make_shared<ServeOptions>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Run the server until SIGTERM/SIGINT (graceful: open transactions may finish).\n"
      "SIGHUP re-reads the auth backend, TLS certificates and routing (aliases, users).");
  cmd->add_option("--config,-c", opts->config, "Configuration file")->capture_default_str();
  cmd->add_option("--listen", opts->listen,
                  "Listen on HOST:PORT instead of the configured listeners");
  cmd->add_option("--spool", opts->spool,
                  "Spool directory (holds the queue files, queue.db first)");
  cmd->add_option("--maildir", opts->maildir, "Maildir to deliver to");
  return {cmd, [opts] { return serve(*opts); }};
}

Command add_spoold(CLI::App& app) {
  auto config = std::make_shared<std::string>(kDefaultConfig);
  auto* cmd = app.add_subcommand(
      "spoold",
      "Run a spool node: the queue and delivery of the config, with the spooler published at\n"
      "[node] listen over mutual TLS for edges (`serve` with [spool] remote) to spool to.");
  cmd->add_option("--config,-c", *config, "Configuration file")->capture_default_str();
  return {cmd, [config] { return spoold(*config); }};
}

}  // namespace mailactor::app::cli
