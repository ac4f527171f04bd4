#include "actors/auth/dovecot_client.hpp"

#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "protocol/base64.hpp"

namespace mailactor::auth {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    size_t tab = line.find('\t', pos);
    out.push_back(line.substr(pos, tab == std::string::npos ? std::string::npos : tab - pos));
    if (tab == std::string::npos) break;
    pos = tab + 1;
  }
  return out;
}

}  // namespace

std::string dovecot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\001':
        out += "\\1";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

DovecotClient::DovecotClient(std::string socket_path, std::string service,
                             std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), service_(std::move(service)), timeout_(timeout) {}

DovecotClient::~DovecotClient() = default;

void DovecotClient::connect() {
  if (conn_) return;
  auto conn = std::make_unique<actors::ClientConnection>("unix:" + path_, timeout_);
  conn->write("VERSION\t1\t1\nCPID\t" + std::to_string(::getpid()) + "\n");
  bool version_ok = false;
  while (true) {
    auto f = split_tabs(conn->read_line());
    if (f[0] == "VERSION") version_ok = f.size() >= 2 && f[1] == "1";
    if (f[0] == "DONE") break;
  }
  if (!version_ok) throw std::runtime_error("dovecot speaks an unknown auth protocol version");
  conn_ = std::move(conn);
}

DovecotClient::Result DovecotClient::authenticate(std::string_view authzid, std::string_view user,
                                                  std::string_view secret,
                                                  std::string_view client_addr, bool secured) {
  Result r;
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      connect();
      std::string raw(authzid);
      raw += '\0';
      raw += user;
      raw += '\0';
      raw += secret;
      std::string id = std::to_string(next_id_++);
      std::string line =
          "AUTH\t" + id + "\tPLAIN\tservice=" + dovecot_escape(service_) + "\tnologin";
      if (!client_addr.empty()) line += "\trip=" + dovecot_escape(client_addr);
      if (secured) line += "\tsecured";
      line += "\tresp=" + protocol::base64_encode(raw);
      conn_->write(line + "\n");
      while (true) {
        auto f = split_tabs(conn_->read_line());
        if (f.size() < 2 || f[1] != id) continue;  // not ours
        bool temp = false;
        for (size_t i = 2; i < f.size(); ++i) {
          if (f[i].rfind("user=", 0) == 0) r.user = f[i].substr(5);
          if (f[i] == "temp") temp = true;
          if (f[i].rfind("reason=", 0) == 0) r.reason = f[i].substr(7);
        }
        if (f[0] == "OK") {
          r.outcome = Outcome::ok;
        } else if (f[0] == "FAIL") {
          r.outcome = temp ? Outcome::temporary_failure : Outcome::invalid;
        } else {
          // CONT: PLAIN needs no further round; anything else is a protocol error.
          conn_.reset();
          r.outcome = Outcome::temporary_failure;
          r.reason = "unexpected " + f[0] + " from dovecot";
        }
        return r;
      }
    } catch (const std::exception& e) {
      conn_.reset();
      r = Result{Outcome::temporary_failure, {}, e.what()};
    }
  }
  return r;
}

}  // namespace mailactor::auth
