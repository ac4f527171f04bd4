// mailactor's command line (mailactor::main, public in include/mailactor/main.hpp, so that a main
// of your own can register backends first): the program's description and its subcommands.
#include <caf/config.hpp>
#include <mailactor/main.hpp>
#include <mailactor/version.hpp>

#include <iostream>

#include "actors/auth/backend_registry.hpp"
#include "app/cli/commands.hpp"

namespace mailactor::app::cli {

int fail(const std::string& what, const std::exception& e, int status) {
  std::cerr << "mailactor" << (what.empty() ? "" : " " + what) << ": " << e.what() << "\n";
  return status;
}

}  // namespace mailactor::app::cli

int mailactor::main(int argc, char** argv) {
  using namespace mailactor::app::cli;
  mailactor::auth::register_builtin_backends();
  CLI::App app{
      "mailactor: an SMTP server on the C++ Actor Framework. It accepts mail over SMTP, commits\n"
      "every accepted message durably to its queue before answering 250, then delivers it: to\n"
      "Maildirs, over LMTP (Dovecot), or onward over SMTP (smarthost or MX). Run\n"
      "`mailactor COMMAND --help` for the options of each command.",
      "mailactor"};  // not argv[0]: the usage lines read the same wherever it is installed
  app.set_version_flag("--version", std::string("mailactor " MAILACTOR_VERSION " (API ") +
                                        std::to_string(MAILACTOR_API_VERSION) + ", CAF " +
                                        std::to_string(CAF_MAJOR_VERSION) + "." +
                                        std::to_string(CAF_MINOR_VERSION) + "." +
                                        std::to_string(CAF_PATCH_VERSION) + ")");
  app.require_subcommand(1);
  const std::vector<Command> commands = {add_serve(app),  add_spoold(app), add_check_config(app),
                                         add_config(app), add_route(app),  add_send(app),
                                         add_queue(app),  add_passwd(app), add_tls(app),
                                         add_dkim(app),   add_stats(app),  add_trace(app)};
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : commands)
    if (*c.parsed) return c.run();
  return 2;
}
