#include "trace/trace_json.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "storage/envelope_json.hpp"

namespace mailactor::trace {

using nlohmann::json;

namespace {

std::string dump(const json& j) {
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

json event_json(const Event& e, const char* source) {
  return {{"at", rfc3339_us(e.at_us)},
          {"at_us", e.at_us},
          {"step", e.step},
          {"detail", e.detail},
          {"source", source}};
}

std::string last_reply(const storage::RecipientRow& r) {
  if (!r.last_code) return {};
  return storage::reply_line(*r.last_code, r.last_enhanced, r.last_text, r.last_host);
}

json recipient_json(const storage::RecipientRow& r) {
  return {{"address", r.routed.address},
          {"original", r.routed.original},
          {"route", r.routed.route},
          {"target", r.routed.target},
          {"state", storage::to_string(r.state)},
          {"attempts", r.attempts},
          {"last_attempt_at",
           r.last_attempt_at ? json(storage::rfc3339_utc(*r.last_attempt_at)) : json(nullptr)},
          {"last_reply", r.last_code ? json(last_reply(r)) : json(nullptr)}};
}

json queue_json(const QueuedView& q) {
  json j = json::parse(storage::envelope_json(q.entry.meta));
  j["state"] = storage::to_string(q.entry.state);
  j["delivered_at"] =
      q.entry.delivered_at ? json(storage::rfc3339_utc(*q.entry.delivered_at)) : json(nullptr);
  j["recipients"] = json::array();
  for (const auto& r : q.recipients)
    j["recipients"].push_back(recipient_json(r));
  return j;
}

std::string received_detail(const storage::MessageMeta& m) {
  std::string s = "from <" + m.mail_from + "> by " + m.client_addr + ":" +
                  std::to_string(m.client_port) + " on " + m.listener + " (" + m.protocol;
  if (!m.helo.empty()) s += ", helo " + m.helo;
  if (!m.tls_protocol.empty()) s += ", " + m.tls_protocol + " " + m.tls_cipher;
  if (!m.auth_user.empty()) s += ", auth " + m.auth_user;
  return s + "), " + std::to_string(m.size) + " bytes";
}

}  // namespace

std::string rfc3339_us(int64_t unix_us) {
  std::string seconds = storage::rfc3339_utc(unix_us / 1000000);  // "...:SSZ"
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(unix_us % 1000000));
  seconds.pop_back();
  return seconds + fraction;
}

std::vector<Event> events_from_queue(const QueuedView& q) {
  const auto& m = q.entry.meta;
  std::vector<Event> out{{m.received_at * 1000000, "queued", received_detail(m)}};
  for (const auto& r : q.recipients) {
    if (!r.last_attempt_at) continue;
    out.push_back({*r.last_attempt_at * 1000000, "delivery",
                   "<" + r.routed.address + "> via " + r.routed.route + ": " + last_reply(r) +
                       " (attempt " + std::to_string(r.attempts) + ", now " +
                       storage::to_string(r.state) + ")"});
  }
  return out;
}

std::string trace_json(const std::string& id, const Record* recent,
                       const std::optional<QueuedView>& queued) {
  json j = {{"id", id}, {"recent", recent != nullptr}, {"events", json::array()}};
  if (recent) {
    j["from"] = recent->mail_from;
    j["rcpt"] = recent->rcpt;
    j["client"] = recent->client;
    for (const auto& e : recent->events)
      j["events"].push_back(event_json(e, "recent"));
    j["events_dropped"] = recent->events_dropped;
  } else if (queued) {
    const auto& m = queued->entry.meta;
    j["from"] = m.mail_from;
    j["rcpt"] = m.rcpt_to;
    j["client"] = m.client_addr + ":" + std::to_string(m.client_port);
    for (const auto& e : events_from_queue(*queued))
      j["events"].push_back(event_json(e, "queue"));
    j["events_dropped"] = 0;
  }
  j["queue"] = queued ? queue_json(*queued) : json(nullptr);
  return dump(j);
}

std::string search_json(const std::vector<Record>& found) {
  json list = json::array();
  for (const auto& r : found) {
    json m = {{"id", r.id}, {"from", r.mail_from}, {"rcpt", r.rcpt}, {"client", r.client}};
    if (!r.events.empty()) {
      m["first_at"] = rfc3339_us(r.events.front().at_us);
      m["last_at"] = rfc3339_us(r.events.back().at_us);
      m["last_step"] = r.events.back().step;
      m["last_detail"] = r.events.back().detail;
    }
    list.push_back(std::move(m));
  }
  return dump(json{{"messages", list}});
}

}  // namespace mailactor::trace
