// Broker admission on a real loopback socket: the per-address limit turns the next connection
// away with 421 4.7.0; at the server-wide max_sessions the broker stops accepting (the client
// waits in the backlog, ungreeted) and accepts again when a session ends.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

#include "actors/broker/broker.hpp"
#include "actors/observe/stats.hpp"
#include "routing/router_source.hpp"
#include "tests/actor/actor_fixture.hpp"

namespace mailactor::actors {
namespace {

using testing::SpoolFixture;

int listening_socket(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A client connection; closed with the object.
struct Client {
  explicit Client(uint16_t port) : fd(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  ~Client() { ::close(fd); }
  // The first line the server sends within `ms`, "" if none ("closed" if it closed first).
  std::string line(int ms = 5000) {
    while (pending.find("\r\n") == std::string::npos) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) return "";
      char buf[512];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return pending.empty() ? "closed" : std::exchange(pending, "");
      pending.append(buf, static_cast<size_t>(n));
    }
    size_t end = pending.find("\r\n");
    std::string out = pending.substr(0, end);
    pending.erase(0, end + 2);
    return out;
  }
  int fd;
  std::string pending;  // read but not yet returned
};

struct BrokerFixture : SpoolFixture {
  void start_broker(size_t max_sessions, size_t per_ip) {
    start_spool();
    auto settings = std::make_shared<BrokerSettings>();
    settings->max_sessions = max_sessions;
    ListenerSettings l;
    l.name = "mx";
    l.host = "127.0.0.1";
    l.fd = listening_socket(port);
    l.session.listener = "mx";
    l.session.engine.hostname = "mx.example.test";
    l.session.router = routing::RouterSource::ingest({"example.test"});
    l.limits.max_sessions_per_ip = per_ip;
    settings->listeners.push_back(l);
    auto stats = spawn_stats(system);
    keep(stats);
    broker = spawn_broker(system, settings, spooler, stats, auth_front_actor{});
    keep(broker);
  }
  uint16_t port = 0;
  caf::actor broker;
};

TEST_F(BrokerFixture, PerAddressLimitTurnsTheNextConnectionAway) {
  start_broker(100, 2);
  Client a(port), b(port);
  EXPECT_EQ(a.line(), "220 mx.example.test ESMTP mailactor");
  EXPECT_EQ(b.line(), "220 mx.example.test ESMTP mailactor");
  Client c(port);
  EXPECT_EQ(c.line(), "421 4.7.0 Too many connections from your address");
  EXPECT_EQ(c.line(), "closed");
}

TEST_F(BrokerFixture, AtMaxSessionsAcceptingPausesUntilASessionEnds) {
  start_broker(2, 100);
  Client a(port), b(port);
  EXPECT_EQ(a.line(), "220 mx.example.test ESMTP mailactor");
  EXPECT_EQ(b.line(), "220 mx.example.test ESMTP mailactor");
  // Both in a transaction: under stress (a full table) idle sessions would make room, these not.
  for (Client* x : {&a, &b}) {
    ASSERT_EQ(::send(x->fd, "HELO c\r\nMAIL FROM:<a@b.example>\r\n", 33, 0), 33);
    EXPECT_EQ(x->line(), "250 mx.example.test");
    EXPECT_EQ(x->line(), "250 2.1.0 Ok");
  }
  auto c = std::make_unique<Client>(port);  // the kernel completes it; the broker does not accept
  EXPECT_EQ(c->line(2500), "") << "no greeting while the server is full (beats pass meanwhile)";
  ASSERT_EQ(::send(a.fd, "QUIT\r\n", 6, 0), 6);
  EXPECT_EQ(a.line(), "221 2.0.0 Bye");
  EXPECT_EQ(c->line(), "220 mx.example.test ESMTP mailactor") << "accepted once a session ended";
}

}  // namespace
}  // namespace mailactor::actors
