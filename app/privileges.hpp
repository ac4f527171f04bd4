// Running as an unprivileged user after the privileged steps: `serve` started as root binds
// its ports (e.g. 25) and opens the spool, then becomes [server] user for good.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace mailactor::app {

struct RunAs {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The account named by [server] user (and group, default: the user's primary group). nullopt
// when user is empty. Throws std::runtime_error for an unknown user or group, or when the
// process may not switch to it (not root).
std::optional<RunAs> resolve_run_as(const std::string& user, const std::string& group);

// Gives `paths` that exist to the account (the spool and Maildir folders and the queue files,
// which a root start may have created), then drops root: supplementary groups, gid, uid.
// Verifies root cannot be regained. Throws std::runtime_error.
void drop_privileges(const RunAs& to, const std::vector<std::string>& paths);

// Both steps for [server] user/group (nothing when user is empty), logging the outcome.
void run_as_configured_user(const std::string& user, const std::string& group,
                            const std::vector<std::string>& paths);

}  // namespace mailactor::app
