// mailactor's subcommands, one file each: add_X adds the subcommand and its options to the
// command line and returns what runs it once parsed (the exit status).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace mailactor::app::cli {

struct Command {
  CLI::App* parsed;          // the subcommand, true once the command line chose it
  std::function<int()> run;  // its exit status
};

constexpr const char* kDefaultConfig = "conf/mailactor.toml";

Command add_serve(CLI::App& app);
Command add_spoold(CLI::App& app);
Command add_check_config(CLI::App& app);
Command add_config(CLI::App& app);
Command add_route(CLI::App& app);
Command add_send(CLI::App& app);
Command add_queue(CLI::App& app);
Command add_passwd(CLI::App& app);
Command add_tls(CLI::App& app);
Command add_dkim(CLI::App& app);
Command add_stats(CLI::App& app);
Command add_trace(CLI::App& app);

// The message of a failed command: "mailactor[ WHAT]: error" on standard error.
int fail(const std::string& what, const std::exception& e, int status);

}  // namespace mailactor::app::cli
