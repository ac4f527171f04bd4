// `mailactor queue ...`: list, show, export, move and purge queued messages.
#include <memory>

#include "app/cli/commands.hpp"
#include "app/config.hpp"
#include "app/queue_cli.hpp"

namespace mailactor::app::cli {
namespace {

struct QueueOptions {
  std::string config = kDefaultConfig;
  std::string spool;  // overrides the config's
  std::string state;  // ls --state
  bool json = false;  // ls --json
  std::string id;
  bool all = false;  // purge --all
};

// The queue commands that move recipients between states: name and help.
const std::vector<std::pair<std::string, std::string>> kMoves = {
    {"retry", "Deliver the message's pending recipients now, not at their next attempt"},
    {"hold", "Keep the message's pending recipients from delivery until released"},
    {"release", "Deliver held recipients again (now)"},
    {"bounce", "Give the pending or held recipients up now: they fail and bounce"}};

struct QueueCommands {
  CLI::App* ls;
  CLI::App* show;
  CLI::App* exporter;
  CLI::App* purge;
  std::vector<std::pair<std::string, CLI::App*>> moves;
};

QueueCommands add_queue_commands(CLI::App& queue, QueueOptions& o) {
  QueueCommands q;
  q.ls = queue.add_subcommand("ls",
                              "List messages: id, state, size, time, sender, recipients by state");
  q.ls->add_option("--state", o.state, "Only receiving, queued or delivered");
  q.ls->add_flag("--json", o.json, "One JSON envelope per line");
  q.show = queue.add_subcommand("show",
                                "Print a message's envelope as JSON and each recipient's route, "
                                "state, next attempt and last reply");
  q.show->add_option("ID", o.id, "Queue id")->required();
  q.exporter =
      queue.add_subcommand("export", "Write a message's stored content to standard output");
  q.exporter->add_option("ID", o.id, "Queue id")->required();
  for (const auto& [name, what] : kMoves) {
    auto* cmd = queue.add_subcommand(name, what);
    cmd->add_option("ID", o.id, "Queue id")->required();
    q.moves.emplace_back(name, cmd);
  }
  q.purge = queue.add_subcommand(
      "purge", "Delete delivered messages (with --all: also queued, undelivered ones)");
  q.purge->add_flag("--all", o.all, "Also delete queued messages");
  return q;
}

int run(const QueueOptions& o, const QueueCommands& q) {
  std::string spool = o.spool;
  try {
    if (spool.empty()) spool = load_config(o.config).spool_dir;
  } catch (const std::exception& e) {
    return fail("", e, 2);
  }
  if (*q.ls) return queue_ls(spool, o.state, o.json);
  if (*q.show) return queue_show(spool, o.id);
  if (*q.exporter) return queue_export(spool, o.id);
  if (*q.purge) return queue_purge(spool, o.all);
  for (const auto& [name, cmd] : q.moves)
    if (*cmd) return queue_move(spool, name, o.id);
  return 2;
}

}  // namespace

Command add_queue(CLI::App& app) {
  auto o = std::make_shared<QueueOptions>();
  auto* cmd = app.add_subcommand(
      "queue", "The queue: ls, show ID, export ID, retry/hold/release/bounce ID, purge.");
  cmd->add_option("--config,-c", o->config, "Configuration file (for the spool)")
      ->capture_default_str();
  cmd->add_option("--spool", o->spool, "Spool directory (overrides the config)");
  cmd->require_subcommand(1);
  auto q = std::make_shared<QueueCommands>(add_queue_commands(*cmd, *o));
  return {cmd, [o, q] { return run(*o, *q); }};
}

}  // namespace mailactor::app::cli
