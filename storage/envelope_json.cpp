#include "storage/envelope_json.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

namespace mailactor::storage {

using nlohmann::json;

namespace {
// Addresses may carry SMTPUTF8 text; anything not valid UTF-8 is replaced rather than thrown on.
std::string dump(const json& j, int indent = -1) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}
}  // namespace

std::string rcpt_to_json(const std::vector<std::string>& rcpt_to) {
  return dump(json(rcpt_to));
}

std::vector<std::string> rcpt_to_from_json(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string rfc3339_utc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every field under its own name (a new field appears by itself), then the documented shape:
// the client as one object, TLS as one object or null, auth_user null when not authenticated,
// received_at as RFC 3339.
std::string envelope_json(const MessageMeta& m) {
  json j = json::object();
  for_each_field(m, [&](const char* name, const auto& v) { j[name] = v; });
  j.erase("client_addr");
  j.erase("client_port");
  j["client"] = {{"address", m.client_addr}, {"port", m.client_port}};
  j.erase("tls_protocol");
  j.erase("tls_cipher");
  j["tls"] = m.tls_protocol.empty() ? json(nullptr)
                                    : json{{"protocol", m.tls_protocol}, {"cipher", m.tls_cipher}};
  if (m.auth_user.empty()) j["auth_user"] = nullptr;
  j["received_at"] = rfc3339_utc(m.received_at);
  return dump(j, 2) + "\n";
}

}  // namespace mailactor::storage
