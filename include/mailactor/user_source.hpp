// mailactor's user-source plug point: where the router learns which mailboxes exist at the local
// domains (`[routing] local = "mailboxes"`). A source answers for one address at a time; RCPT TO
// then gets 250, 550 5.1.1 (no source has it, no alias or catch-all either) or 451 4.3.0 (a
// source failed). Register a factory under a name before mailactor::main (mailactor/main.hpp),
// list the name in `[routing] sources`, and its options go in `[routing.<name>]`.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <mailactor/options.hpp>
#include <mailactor/version.hpp>

namespace mailactor::routing {

enum class UserAnswer {
  found,
  not_found,
  failed,  // the source could not answer now (451 4.3.0)
};

class UserSource {
 public:
  virtual ~UserSource() = default;
  // local and domain are lower case; the router has already removed a +detail and tries the
  // address without it too. May be called from several threads at once.
  virtual UserAnswer find(const std::string& local, const std::string& domain) const = 0;
  virtual std::string name() const = 0;
  // A source that waits on something (a socket, a database): it is then asked on resolver
  // threads with a timeout ([routing] lookup_timeout_ms), never on a session's scheduler thread.
  virtual bool may_block() const { return false; }
};

// Builds the source from its `[routing.<name>]` options; throws OptionError (bad options) or
// std::runtime_error (unusable). Called at start and on each SIGHUP.
using UserSourceFactory = std::function<std::shared_ptr<const UserSource>(Options&)>;

// Throws std::runtime_error when `api_version` is not the library's (register_user_source passes
// the one your code is compiled with).
void register_user_source_for_api(int api_version, const std::string& name,
                                  UserSourceFactory factory);

inline void register_user_source(const std::string& name, UserSourceFactory factory) {
  register_user_source_for_api(MAILACTOR_API_VERSION, name, std::move(factory));
}

}  // namespace mailactor::routing
