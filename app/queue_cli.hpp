// `mailactor queue ls|show|export|purge`: the queue for people and scripts.
#pragma once

#include <string>

namespace mailactor::app {

int queue_ls(const std::string& spool, const std::string& state, bool json);
int queue_show(const std::string& spool, const std::string& id);
int queue_export(const std::string& spool, const std::string& id);
// retry (pending recipients due now), hold, release (held ones due now), bounce (pending or
// held ones fail now and bounce); the running server picks the change up within seconds.
int queue_move(const std::string& spool, const std::string& command, const std::string& id);
int queue_purge(const std::string& spool, bool all);

}  // namespace mailactor::app
