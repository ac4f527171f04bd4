// Which recipients a listener accepts: the relay decision, kept out of the SMTP engine.
#pragma once

#include <string>
#include <vector>

#include "actors/settings.hpp"
#include "protocol/engine.hpp"

namespace mailactor::actors {

// mx: local domains (and <Postmaster>) only, 550 5.7.1 otherwise, also for local parts holding
// a route ('%', '!', or a quoted '@'). submission: anything once authenticated (the engine
// already refused MAIL without AUTH).
protocol::Verdict check_recipient(const SessionSettings& s, const std::string& address,
                                  bool authenticated);

}  // namespace mailactor::actors
