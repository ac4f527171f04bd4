// What reaches a log line from outside (AUTH names, HELO, addresses, a peer's replies, PROXY
// data, an HTTP backend's answer) may hold line breaks and terminal escapes: written raw, a client
// forges log lines or drives the operator's terminal. Every line the logger writes passes here.
#pragma once

#include <string>
#include <string_view>

namespace mailactor::app {

// `text` with every control character (C0, DEL, and C1 written as UTF-8) and every octet that is
// not part of well-formed UTF-8 as \xNN; printable ASCII and well-formed UTF-8 stay as they are.
void append_log_escaped(std::string_view text, std::string& out);
std::string log_escaped(std::string_view text);

}  // namespace mailactor::app
