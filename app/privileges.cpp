#include "app/privileges.hpp"

#include <spdlog/spdlog.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mailactor::app {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

std::optional<RunAs> resolve_run_as(const std::string& user, const std::string& group) {
  if (user.empty()) {
    if (!group.empty()) throw std::runtime_error("[server] group needs [server] user");
    return std::nullopt;
  }
  errno = 0;
  const passwd* pw = getpwnam(user.c_str());
  if (!pw) throw std::runtime_error("[server] user: no user \"" + user + "\" on this system");
  RunAs r{user, pw->pw_uid, pw->pw_gid};
  if (!group.empty()) {
    const struct group* gr = getgrnam(group.c_str());
    if (!gr) throw std::runtime_error("[server] group: no group \"" + group + "\" on this system");
    r.gid = gr->gr_gid;
  }
  if (geteuid() != 0 && (geteuid() != r.uid || getegid() != r.gid))
    throw std::runtime_error("[server] user = \"" + user +
                             "\": switching users needs root; start as root, or run as that "
                             "user with CAP_NET_BIND_SERVICE for ports below 1024");
  return r;
}

void drop_privileges(const RunAs& to, const std::vector<std::string>& paths) {
  if (geteuid() != 0) return;  // already that user (checked by resolve_run_as)
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) continue;
    if (::chown(p.c_str(), to.uid, to.gid) != 0) throw sys_error("chown " + p);
  }
  if (::setgroups(1, &to.gid) != 0) throw sys_error("setgroups");
  if (::setgid(to.gid) != 0) throw sys_error("setgid");
  if (::setuid(to.uid) != 0) throw sys_error("setuid " + to.user);
  if (to.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0))
    throw std::runtime_error("root could be regained after switching to " + to.user);
}

void run_as_configured_user(const std::string& user, const std::string& group,
                            const std::vector<std::string>& paths) {
  if (auto run_as = resolve_run_as(user, group)) {
    drop_privileges(*run_as, paths);
    spdlog::info("running as user {} (uid {}, gid {})", run_as->user, run_as->uid, run_as->gid);
  }
}

}  // namespace mailactor::app
