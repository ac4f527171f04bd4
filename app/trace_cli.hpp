// `mailactor trace`: one message's path through the server, or the recent messages that match a
// sender, recipient, client address or id, read from the metrics listener's /trace.json.
#pragma once

#include <string>

namespace mailactor::app {

struct TraceQuery {
  std::string base_url;  // http://HOST:PORT
  std::string id;        // a queue id, or
  std::string search;    // text to look for in the recent traces ("" with no id: the newest)
  bool json = false;     // print /trace.json's answer as it is
  std::string authorization;
};

// 0 found, 1 no such message, 2 the server could not be asked.
int show_trace(const TraceQuery& q);

}  // namespace mailactor::app
