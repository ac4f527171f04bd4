#include "app/send.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

#include "actors/net/client_connection.hpp"
#include "app/config.hpp"
#include "protocol/data_decoder.hpp"
#include "protocol/received.hpp"

namespace mailactor::app {
namespace {

std::string read_input(const std::string& file) {
  if (file.empty() || file == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string headers(const SendOptions& o) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::random_device rd;
  std::ostringstream h;
  h << "From: <" << o.from << ">\r\nTo: ";
  for (size_t i = 0; i < o.to.size(); ++i)
    h << (i ? ", " : "") << "<" << o.to[i] << ">";
  h << "\r\nSubject: " << o.subject << "\r\nDate: " << protocol::rfc5322_date(now)
    << "\r\nMessage-ID: <" << now << "." << std::hex << rd() << rd() << "@" << o.helo
    << ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  return h.str();
}

std::string text(const protocol::Reply& r) {
  return r.summary();
}

}  // namespace

int send_message(const SendOptions& o) {
  if (o.to.empty()) {
    std::cerr << "mailactor send: at least one --to is needed\n";
    return 2;
  }
  std::string content;
  try {
    content = read_input(o.file);
    if (!o.subject.empty()) content = headers(o) + content;
  } catch (const std::exception& e) {
    std::cerr << "mailactor send: " << e.what() << "\n";
    return 2;
  }
  try {
    split_host_port(o.server);  // a bad address is named as the config names one
    actors::ClientConnection c(o.server, std::chrono::seconds(o.timeout_seconds));
    // Only the replies each step allows (RFC 5321 §4.3.2): anything else is refused, never
    // taken for success (a 250 to DATA has received no content).
    auto expect = [&](const protocol::Reply& r, int lowest, int highest) {
      if (r.code < lowest || r.code > highest) {
        std::cerr << "mailactor send: refused: " << text(r) << "\n";
        return false;
      }
      return true;
    };
    if (!expect(c.read_reply(), 220, 220)) return 1;
    c.write("EHLO " + o.helo + "\r\n");
    auto ehlo = c.read_reply();
    bool smtputf8 = false;
    for (const auto& l : ehlo.lines)
      if (l == "SMTPUTF8") smtputf8 = true;
    if (!expect(ehlo, 250, 250)) return 1;
    bool needs_utf8 = false;
    for (const auto& a : o.to)
      for (unsigned char ch : a)
        if (ch >= 0x80) needs_utf8 = true;
    for (unsigned char ch : o.from)
      if (ch >= 0x80) needs_utf8 = true;
    c.write("MAIL FROM:<" + o.from + ">" + (needs_utf8 && smtputf8 ? " SMTPUTF8" : "") + "\r\n");
    if (!expect(c.read_reply(), 200, 299)) return 1;
    for (const auto& to : o.to) {
      c.write("RCPT TO:<" + to + ">\r\n");
      if (!expect(c.read_reply(), 200, 299)) return 1;
    }
    c.write("DATA\r\n");
    if (!expect(c.read_reply(), 354, 354)) return 1;
    std::string wire;
    protocol::DotStuffer stuffer;
    stuffer.append(content, wire);
    stuffer.finish(wire);
    c.write(wire);
    auto done = c.read_reply();
    if (!expect(done, 200, 299)) return 1;
    c.write("QUIT\r\n");
    std::string last = done.lines.empty() ? "" : done.lines.back();
    size_t as = last.rfind("queued as ");
    std::cout << (as == std::string::npos ? last : last.substr(as + 10)) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "mailactor send: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace mailactor::app
