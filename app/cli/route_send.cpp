// `mailactor route` and `mailactor send`: ask the router about addresses, send one message.
#include <memory>

#include "app/cli/commands.hpp"
#include "app/routing_setup.hpp"
#include "app/send.hpp"

namespace mailactor::app::cli {
namespace {

struct RouteOptions {
  std::string config = kDefaultConfig;
  std::vector<std::string> addresses;
};

}  // namespace

Command add_route(CLI::App& app) {
  auto o = std::make_shared<RouteOptions>();
  auto* cmd = app.add_subcommand(
      "route",
      "Print how each address resolves with the config ([routing]: aliases, users, +detail,\n"
      "catch-all): accepted with its final recipients and route, or why it is refused.\n"
      "Exit 0 when every address is accepted, 1 when one is refused, 2 on a config error.");
  cmd->add_option("--config,-c", o->config, "Configuration file")->capture_default_str();
  cmd->add_option("ADDRESS", o->addresses, "Recipient addresses")->required();
  return {cmd, [o] { return print_routes(o->config, o->addresses); }};
}

Command add_send(CLI::App& app) {
  auto o = std::make_shared<SendOptions>();
  auto* cmd = app.add_subcommand(
      "send", "Send one message over SMTP; prints the queue id, exits non-zero on 4xx/5xx.");
  cmd->add_option("--server", o->server, "HOST:PORT")->capture_default_str();
  cmd->add_option("--from", o->from, "Envelope sender (empty for <>)");
  cmd->add_option("--to", o->to, "Envelope recipient (repeatable)")->required();
  cmd->add_option("--subject", o->subject,
                  "Add From/To/Subject/Date/Message-ID headers; the input is the body");
  cmd->add_option("--file", o->file, "The message (default: standard input)");
  cmd->add_option("--helo", o->helo, "Name to send in EHLO")->capture_default_str();
  cmd->add_option("--timeout", o->timeout_seconds, "Seconds to wait for each reply")
      ->capture_default_str();
  return {cmd, [o] { return send_message(*o); }};
}

}  // namespace mailactor::app::cli
