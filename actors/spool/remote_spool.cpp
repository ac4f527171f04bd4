#include "actors/spool/remote_spool.hpp"

#include "actors/observe/metric_catalogue.hpp"

#include <spdlog/spdlog.h>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/stateful_actor.hpp>

#include <memory>

#include "actors/actor_meter.hpp"

namespace mailactor::actors {
namespace {

using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using watch_atom = caf::atom_constant<caf::atom("rwatch")>;  // ask the nodes how loaded they are
constexpr auto kWatchInterval = std::chrono::milliseconds(500);
using Clock = std::chrono::steady_clock;

struct Node {
  std::string name;  // host:port, as configured
  std::string host;
  uint16_t port = 0;
  spooler_actor spooler;      // null while the link is down
  queue_writer_actor writer;  // learnt from its tickets, asked for its figures
  bool connecting = false;
  Clock::time_point linked_at;
  Clock::time_point avoid_until;  // a request failed: skip the node until then
  std::chrono::milliseconds backoff{0};
  uint64_t tickets = 0;
  uint64_t failures = 0;
  uint64_t connects = 0;
  uint64_t link_losses = 0;
  std::map<std::string, uint64_t> remote;   // the node's spooler counters (watch_nodes)
  std::vector<histogram_stats> histograms;  // its queue writer's, labelled node=<name>

  bool healthy(Clock::time_point now) const { return spooler && now >= avoid_until; }
};

struct RemoteSpoolState {
  static inline const char* name = "remote_spool";
  RemoteSpoolSettings settings;
  caf::io::middleman_actor link;  // the openssl module's connection manager
  std::vector<Node> nodes;
  size_t next = 0;  // round-robin position
  uint64_t tickets = 0;
  uint64_t unavailable = 0;  // MAIL answered 451 4.3.0: no node could take it
  uint64_t mailbox_high_water = 0;
  // The edge's own pressure level: the least loaded linked node's. Told to the broker, so an
  // edge whose every node refuses stops taking connections instead of answering MAIL with 451.
  pressure level = pressure::normal;
  std::vector<caf::actor> listeners;
  HandlerMeter meter;
};

using Self = caf::stateful_actor<RemoteSpoolState>*;

void connect(Self self, size_t i);
void update_level(Self self);

void retry_later(Self self, size_t i) {
  auto& n = self->state.nodes[i];
  auto& s = self->state.settings;
  n.backoff = n.backoff.count() == 0 ? s.first_backoff : std::min(n.backoff * 2, s.max_backoff);
  self->delayed_send(self, n.backoff, reconnect_atom::value, static_cast<uint64_t>(i));
}

void connect(Self self, size_t i) {
  auto& n = self->state.nodes[i];
  if (n.connecting || n.spooler) return;
  n.connecting = true;
  self->request(self->state.link, self->state.settings.timeout, caf::connect_atom::value, n.host,
                n.port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>& ifs) {
            auto& n = self->state.nodes[i];
            n.connecting = false;
            if (!ptr || !self->system().assignable<spooler_actor>(ifs)) {
              if (n.backoff <= self->state.settings.first_backoff)
                spdlog::error("spool node {} publishes no mailactor spooler of this version",
                              n.name);
              retry_later(self, i);
              return;
            }
            n.spooler = caf::actor_cast<spooler_actor>(std::move(ptr));
            n.avoid_until = Clock::time_point{};
            n.linked_at = Clock::now();
            ++n.connects;
            self->monitor(n.spooler);
            // The backoff is reset by the first ticket, not here: a node that is shutting down
            // still links (its spooler already gone) and must not be retried in a tight loop.
            spdlog::info("spool node {} linked (mutual TLS)", n.name);
          },
          [=](caf::error& e) {
            auto& n = self->state.nodes[i];
            n.connecting = false;
            // Said once per outage, not on every retry.
            if (n.backoff.count() == 0)
              spdlog::warn("spool node {} unreachable: {}; retrying with backoff", n.name,
                           self->system().render(e));
            retry_later(self, i);
          });
}

void link_lost(Self self, const caf::actor_addr& who) {
  for (size_t i = 0; i < self->state.nodes.size(); ++i) {
    auto& n = self->state.nodes[i];
    if (!n.spooler || n.spooler.address() != who) continue;
    if (Clock::now() - n.linked_at > std::chrono::seconds(1))
      spdlog::warn("spool node {}: link lost; its open transactions get 451", n.name);
    n.spooler = nullptr;
    n.writer = nullptr;
    n.remote.clear();
    ++n.link_losses;
    retry_later(self, i);
  }
  update_level(self);
}

spool_ticket unavailable_ticket() {
  spool_ticket t;
  t.accepted = false;
  t.code = 451;
  t.status = "4.3.0";
  t.text = kSpoolUnavailableText;
  return t;
}

// Asks healthy nodes in turn until one hands out a ticket; `left` bounds the attempts.
void begin_on_next(Self self, caf::typed_response_promise<spool_ticket> rp, std::string client,
                   std::string listener, size_t left) {
  auto& st = self->state;
  auto now = Clock::now();
  size_t pick = st.nodes.size();
  for (size_t k = 0; k < st.nodes.size() && left > 0; ++k) {
    size_t i = (st.next + k) % st.nodes.size();
    if (st.nodes[i].healthy(now)) {
      pick = i;
      st.next = i + 1;
      break;
    }
  }
  if (pick == st.nodes.size() || left == 0) {
    ++st.unavailable;
    rp.deliver(unavailable_ticket());
    return;
  }
  auto& n = st.nodes[pick];
  self->request(n.spooler, st.settings.timeout, begin_atom::value, client, listener)
      .then(
          [=](spool_ticket& t) mutable {
            HandlerClock clock{self->state.meter};
            auto& n = self->state.nodes[pick];
            // A node shedding load (451 4.3.2) leaves the transaction to another one.
            if (!t.accepted && t.code == 451 && left > 1) {
              begin_on_next(self, rp, client, listener, left - 1);
              return;
            }
            if (t.accepted) {
              if (n.backoff.count() != 0) {
                spdlog::info("spool node {} takes transactions again", n.name);
                n.backoff = std::chrono::milliseconds(0);
              }
              ++n.tickets;
              ++self->state.tickets;
              n.writer = t.writer;
            }
            rp.deliver(std::move(t));
          },
          [=](caf::error& e) mutable {
            auto& n = self->state.nodes[pick];
            ++n.failures;
            n.avoid_until = Clock::now() + self->state.settings.first_backoff * 10;
            spdlog::warn("spool node {} did not answer MAIL: {}", n.name, self->system().render(e));
            begin_on_next(self, rp, client, listener, left - 1);
          });
}

void update_level(Self self) {
  auto& st = self->state;
  bool any = false;
  auto best = pressure::refuse;
  for (const auto& n : st.nodes) {
    if (!n.spooler) continue;
    any = true;
    auto it = n.remote.find("pressure_level");
    auto level = it == n.remote.end() ? pressure::normal
                                      : static_cast<pressure>(std::min<uint64_t>(it->second, 3));
    best = std::min(best, level);
  }
  // No node linked: MAIL says 451 4.3.0 anyway; connections are still taken (and logged).
  if (!any) best = pressure::normal;
  if (best == st.level) return;
  st.level = best;
  for (auto& l : st.listeners)
    caf::anon_send(l, pressure_atom::value, static_cast<uint8_t>(best));
  if (best == pressure::normal)
    spdlog::info("spool nodes: pressure back to normal");
  else
    spdlog::warn("spool nodes: the least loaded one is at pressure {}", to_string(best));
}

// Every kWatchInterval: each linked node's spooler figures (its pressure level among them).
void watch_nodes(Self self) {
  auto& st = self->state;
  auto pending = std::make_shared<size_t>(1);
  auto done = [=] {
    if (--*pending == 0) update_level(self);
  };
  for (size_t i = 0; i < st.nodes.size(); ++i) {
    if (!st.nodes[i].spooler) continue;
    ++*pending;
    self->request(st.nodes[i].spooler, kWatchInterval * 2, get_stats_atom::value)
        .then(
            [=](const actor_stats& s) {
              self->state.nodes[i].remote = s.counters;
              done();
            },
            [=](caf::error&) { done(); });
  }
  done();
}

actor_stats figures(Self self) {
  auto& st = self->state;
  actor_stats r;
  r.name = "remote_spool";
  r.mailbox = self->mailbox().size();
  r.mailbox_high_water = st.mailbox_high_water;
  r.handled = st.meter.handled;
  r.busy_us = st.meter.busy_us;
  using metrics::Id;
  metrics::Figures f;
  uint64_t up = 0;
  for (const auto& n : st.nodes) {
    up += n.spooler ? 1 : 0;
    f.set(Id::node_up, n.name, n.spooler ? 1 : 0);
    f.set(Id::node_tickets, n.name, n.tickets);
    f.set(Id::node_failures, n.name, n.failures);
    f.set(Id::node_connects, n.name, n.connects);
    f.set(Id::node_link_losses, n.name, n.link_losses);
    // The node's own spooler figures, as the edge last heard them.
    for (auto [theirs, ours] : {std::pair{Id::writer_depth, Id::node_writer_depth},
                                {Id::pressure_level, Id::node_pressure},
                                {Id::spooler_commit_latency, Id::node_commit_latency},
                                {Id::spooler_shed, Id::node_shed}}) {
      auto it = n.remote.find(metrics::key(theirs));
      if (n.spooler && it != n.remote.end()) f.set(ours, n.name, it->second);
    }
    if (n.spooler)
      for (const auto& h : n.histograms)
        r.histograms.push_back(h);
  }
  f.set(Id::remote_nodes, st.nodes.size());
  f.set(Id::remote_nodes_up, up);
  f.set(Id::remote_tickets, st.tickets);
  f.set(Id::remote_unavailable, st.unavailable);
  r.counters = std::move(f.values());
  return r;
}

// Asks every linked node's queue writer for its histograms, then answers with all figures (the
// spoolers' counters are the ones watch_nodes keeps fresh; a writer that does not answer in time
// keeps its last histograms).
void collect(Self self, caf::typed_response_promise<actor_stats> rp) {
  auto& st = self->state;
  auto pending = std::make_shared<size_t>(1);
  auto done = [=]() mutable {
    if (--*pending == 0) rp.deliver(figures(self));
  };
  const auto ask =
      std::min<std::chrono::milliseconds>(st.settings.timeout, std::chrono::milliseconds(1000));
  for (size_t i = 0; i < st.nodes.size(); ++i) {
    auto& n = st.nodes[i];
    if (!n.spooler || !n.writer) continue;
    ++*pending;
    self->request(n.writer, ask, get_stats_atom::value)
        .then(
            [=](const actor_stats& s) mutable {
              auto& n = self->state.nodes[i];
              n.histograms = s.histograms;
              for (auto& h : n.histograms)
                h.labels["node"] = n.name;
              done();
            },
            [=](caf::error&) mutable { done(); });
  }
  done();
}

caf::behavior remote_spool(Self self, RemoteSpoolSettings settings) {
  auto& st = self->state;
  st.settings = settings;
  st.link = self->system().openssl_manager().actor_handle();
  for (const auto& cfg : settings.nodes) {
    Node n;
    n.host = cfg.host;
    n.port = cfg.port;
    n.name = (cfg.host.find(':') == std::string::npos ? cfg.host : "[" + cfg.host + "]") + ":" +
             std::to_string(cfg.port);
    st.nodes.push_back(std::move(n));
  }
  self->set_down_handler([=](caf::down_msg& dm) { link_lost(self, dm.source); });
  for (size_t i = 0; i < st.nodes.size(); ++i)
    connect(self, i);
  self->delayed_send(self, kWatchInterval, watch_atom::value);
  return {
      [=](begin_atom, std::string& client, std::string& listener) {
        HandlerClock clock{self->state.meter};
        auto& s = self->state;
        s.mailbox_high_water = std::max<uint64_t>(s.mailbox_high_water, self->mailbox().size());
        auto rp = self->make_response_promise<spool_ticket>();
        begin_on_next(self, rp, std::move(client), std::move(listener), s.nodes.size());
        return rp;
      },
      [=](reconnect_atom, uint64_t i) { connect(self, static_cast<size_t>(i)); },
      [=](watch_atom) {
        watch_nodes(self);
        self->delayed_send(self, kWatchInterval, watch_atom::value);
      },
      [=](attach_atom, caf::actor listener) {
        caf::anon_send(listener, pressure_atom::value, static_cast<uint8_t>(self->state.level));
        self->state.listeners.push_back(std::move(listener));
      },
      [=](depth_atom, uint64_t, uint64_t) {},
      [=](probe_atom) {},
      [=](get_stats_atom) {
        auto rp = self->make_response_promise<actor_stats>();
        collect(self, rp);
        return rp;
      },
  };
}

}  // namespace

spooler_actor spawn_remote_spool(caf::actor_system& system, RemoteSpoolSettings settings) {
  // Dynamically typed inside (it also takes its own reconnect timers), the spooler interface
  // outside: sessions cannot tell it from the local spooler.
  auto a = system.spawn(remote_spool, std::move(settings));
  return caf::actor_cast<spooler_actor>(a);
}

}  // namespace mailactor::actors
