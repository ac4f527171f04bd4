#include "app/trace_cli.hpp"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "app/http_get.hpp"

namespace mailactor::app {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "2026-11-29T03:10:00.123456Z" -> "2026-11-29 03:10:00.123456"
std::string local_form(std::string at) {
  for (char& c : at)
    if (c == 'T') c = ' ';
  if (!at.empty() && at.back() == 'Z') at.pop_back();
  return at;
}

void print_message(const json& t) {
  std::string rcpt;
  for (const auto& a : t.value("rcpt", json::array()))
    rcpt += (rcpt.empty() ? "<" : ", <") + a.get<std::string>() + ">";
  std::printf("Message %s from <%s> to %s, client %s\n", str(t, "id").c_str(),
              str(t, "from").c_str(), rcpt.c_str(), str(t, "client").c_str());
  if (!t.value("recent", false))
    std::printf("(not in the recent traces: the steps the queue keeps)\n");
  const auto& events = t["events"];
  const int64_t first = events.empty() ? 0 : events[0].value("at_us", int64_t{0});
  for (const auto& e : events)
    std::printf("  %s  %+9.1f ms  %-12s  %s\n", local_form(str(e, "at")).c_str(),
                static_cast<double>(e.value("at_us", int64_t{0}) - first) / 1000.0,
                str(e, "step").c_str(), str(e, "detail").c_str());
  if (t.value("events_dropped", 0) > 0)
    std::printf("  ... %d later step(s) not kept\n", t.value("events_dropped", 0));
  const auto& q = t["queue"];
  if (q.is_null()) {
    std::printf("Queue: not in this node's queue\n");
    return;
  }
  std::printf("Queue: %s%s\n", str(q, "state").c_str(),
              q["delivered_at"].is_null() ? "" : (" at " + str(q, "delivered_at")).c_str());
  for (const auto& r : q["recipients"])
    std::printf("  %-32s %-8s %-9s attempts=%d%s\n", str(r, "address").c_str(),
                str(r, "route").c_str(), str(r, "state").c_str(), r.value("attempts", 0),
                r["last_reply"].is_null() ? "" : ("  last reply: " + str(r, "last_reply")).c_str());
}

void print_found(const json& list) {
  const auto& messages = list["messages"];
  if (messages.empty()) std::printf("no recent message matches\n");
  for (const auto& m : messages) {
    std::string rcpt;
    for (const auto& a : m.value("rcpt", json::array()))
      rcpt += (rcpt.empty() ? "" : ",") + a.get<std::string>();
    std::printf("%-24s %s  <%s> -> %s  %s  %s\n", str(m, "id").c_str(),
                local_form(str(m, "first_at")).c_str(), str(m, "from").c_str(), rcpt.c_str(),
                str(m, "client").c_str(), str(m, "last_step").c_str());
  }
}

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

int show_trace(const TraceQuery& q) {
  const std::string url = q.base_url + "/trace.json?" +
                          (q.id.empty() ? "q=" + url_encode(q.search) : "id=" + url_encode(q.id));
  try {
    HttpAnswer a = http_fetch(url, q.authorization);
    if (a.status == 404) {
      std::cerr << "mailactor trace: no message " << q.id << " in the recent traces or the queue\n";
      return 1;
    }
    require_ok(url, a);
    if (q.json) {
      std::cout << a.body;
      return 0;
    }
    json j = json::parse(a.body);
    if (q.id.empty())
      print_found(j);
    else
      print_message(j);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mailactor trace: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace mailactor::app
