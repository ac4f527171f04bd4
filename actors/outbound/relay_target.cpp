// The relay target (see relay_target.hpp): finds the destination's hosts, opens (or reuses) a
// session, runs one transaction per job and turns the replies into per-recipient results.
#include "actors/outbound/relay_target.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <optional>
#include <random>

#include "actors/delivery/delivery_results.hpp"
#include "actors/outbound/dkim_signer.hpp"
#include "actors/outbound/peer_session.hpp"
#include "actors/outbound/relay_transaction.hpp"
#include "actors/tls/tls_context.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors::outbound {
namespace {

using storage::DeliveryResult;

struct RelayState {
  static inline const char* name = "relay_target";
  std::shared_ptr<storage::QueueReaders> readers;
  RelayTargetSettings settings;
  std::mt19937 rng{std::random_device{}()};
  std::optional<PeerSession> session;  // open between jobs
  std::string session_key;             // its destination
  std::chrono::steady_clock::time_point last_job;
  bool idle_timer = false;  // a tick is on its way
};

// The delivery target interface and the target's own idle tick: one timer per idle period, not
// a receive timeout (caf::after), which CAF re-arms on every message through its clock thread.
using relay_target_actor = delivery_target_actor::extend<caf::reacts_to<tick_atom>>;
using Self = relay_target_actor::stateful_pointer<RelayState>;

// Where to connect: (host name, "IP:PORT") in the order to try.
struct HostList {
  std::vector<std::pair<std::string, std::string>> addresses;
  std::optional<DeliveryResult> failure;  // no host to try: this for every recipient
  std::string why_none;                   // the DNS errors met on the way
};

std::string with_port(const std::string& ip, uint16_t port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

HostList mx_hosts(Self self, const routing::Destination& d) {
  auto& st = self->state;
  const auto& policy = *st.settings.policy;
  HostList out;
  auto mx = st.settings.dns->mx(d.domain);
  if (mx.status == DnsStatus::no_domain) {
    out.failure = results::permanent(0, 550, "5.1.2", "domain " + d.domain + " does not exist");
    return out;
  }
  if (mx.status == DnsStatus::failed) {
    out.failure = results::temporary(0, "4.4.3", "MX lookup for " + d.domain + ": " + mx.error);
    return out;
  }
  auto plan = routing::plan_mx(d.domain, mx.records, policy.max_hosts, st.rng);
  if (plan.kind == routing::MxPlan::Kind::null_mx) {
    out.failure = results::permanent(0, 556, "5.1.10",
                                     "domain " + d.domain + " accepts no mail (null MX, RFC 7505)");
    return out;
  }
  const bool implicit = mx.records.empty();
  for (const auto& host : plan.hosts) {
    auto a = st.settings.dns->addresses(host);
    if (a.status == DnsStatus::no_domain && implicit) {
      out.failure =
          results::permanent(0, 550, "5.1.2", "domain " + d.domain + " has no MX and no address");
      return out;
    }
    if (a.addresses.empty())
      out.why_none += host + ": " + (a.error.empty() ? "no address" : a.error) + "; ";
    for (const auto& ip : a.addresses)
      out.addresses.emplace_back(host, with_port(ip, policy.mx_port));
  }
  return out;
}

HostList hosts_for(Self self, const routing::Destination& d) {
  if (!d.smarthost) return mx_hosts(self, d);
  HostList out;  // the system's resolver (getaddrinfo) finds a smarthost given by name
  out.addresses.emplace_back(d.smarthost->host, with_port(d.smarthost->host, d.smarthost->port));
  return out;
}

SessionParams session_params(const RelayTargetSettings& s) {
  return {s.hostname, s.tls->raw(), s.connect_timeout, s.timeout};
}

// Each address in turn until one gives a session; a failed TLS handshake under the "may" policy
// is tried once more without TLS, as Postfix does.
// A host that turns out to be ourselves ends the search: `loop` is set, no other host is tried.
std::optional<PeerSession> connect(Self self, const routing::Destination& d, const HostList& hosts,
                                   std::string& last_error, bool& loop) {
  auto params = session_params(self->state.settings);
  for (const auto& [host, address] : hosts.addresses) {
    for (bool tls : {true, false}) {
      try {
        return open_session(d, host, address, params, tls);
      } catch (const SessionError& e) {
        last_error = peer_name(host, address) + ": " + e.what();
        spdlog::info("relay to {}: {}", d.domain, last_error);
        if (e.loop) {
          loop = true;
          return std::nullopt;
        }
        if (!(e.tls_handshake && d.tls == routing::TlsPolicy::may)) break;
      }
    }
  }
  return std::nullopt;
}

// A session for the job's destination: the open one if it is for the same, else a new one.
// Without one, `refused` says why for every recipient.
bool ensure_session(Self self, const routing::Destination& d, const delivery_job& job,
                    std::vector<DeliveryResult>& refused, bool& destination_down) {
  auto& st = self->state;
  if (st.session && st.session_key == d.key()) return true;
  if (st.session) close_session(*st.session);
  st.session.reset();
  auto hosts = hosts_for(self, d);
  if (hosts.failure) {
    refused = results::all(job.idx, *hosts.failure);
    return false;
  }
  std::string last_error = hosts.why_none;
  bool loop = false;
  st.session = connect(self, d, hosts, last_error, loop);
  if (loop) {  // retrying would loop again: bounce (RFC 5321 §6.3)
    refused = results::all(job.idx, results::permanent(0, 554, "5.4.6",
                                                       "mail for " + d.domain +
                                                           " loops back to myself: " + last_error));
    return false;
  }
  if (!st.session) {
    if (last_error.empty()) last_error = "no host to try";
    refused = results::all(
        job.idx,
        results::temporary(0, "4.4.1", "cannot deliver to " + d.domain + ": " + last_error));
    destination_down = true;
    return false;
  }
  st.session_key = d.key();
  spdlog::info("relay session to {} for {}: {}", st.session->peer(), d.domain,
               st.session->tls_summary());
  return true;
}

void arm_idle_timer(Self self, std::chrono::steady_clock::duration after) {
  auto& st = self->state;
  if (st.idle_timer || !st.session) return;
  st.idle_timer = true;
  self->delayed_send(self, after, tick_atom::value);
}

// A tick: the session is closed once no job came for idle_close, else the timer waits the rest.
void on_idle_tick(Self self) {
  auto& st = self->state;
  st.idle_timer = false;
  if (!st.session) return;
  auto idle = std::chrono::steady_clock::now() - st.last_job;
  if (idle < st.settings.idle_close) return arm_idle_timer(self, st.settings.idle_close - idle);
  spdlog::info("relay session to {} closed after {} ms idle", st.session->peer(),
               st.settings.idle_close.count());
  close_session(*st.session);
  st.session.reset();
}

std::vector<DeliveryResult> deliver(Self self, const delivery_job& job, bool& destination_down) {
  auto& st = self->state;
  const auto& reader = st.readers->of(job.queue_file);
  auto entry = reader.get(job.id);
  if (!entry) return results::message_gone(job);
  auto d = routing::destination_for(*st.settings.policy, job.targets.empty() ? "" : job.targets[0]);
  std::optional<std::string> dkim_header;  // signed once a session is there (it reads it all)
  for (int attempt = 0;; ++attempt) {
    const bool reused = st.session && st.session_key == d.key();
    std::vector<DeliveryResult> refused;
    if (!ensure_session(self, d, job, refused, destination_down)) return refused;
    if (!dkim_header)
      dkim_header = st.settings.dkim ? st.settings.dkim->sign_header(reader, entry->meta) : "";
    RelayOutcome out = run_relay_transaction(*st.session, reader, entry->meta, job, *dkim_header);
    if (!out.keep_session) {
      close_session(*st.session);
      st.session.reset();
    }
    // A kept session the server closed meanwhile: once more on a new one. After any reply, a
    // second try could deliver twice; the retry schedule takes over instead.
    if (out.stale && reused && attempt == 0) continue;
    return out.results;
  }
}

// An exception must not end the actor: the deliverer's slot would answer every later job with an
// error until a restart (a peer that hangs up after its greeting once did that to a slot).
std::vector<DeliveryResult> deliver_safely(Self self, const delivery_job& job,
                                           bool& destination_down) {
  try {
    return deliver(self, job, destination_down);
  } catch (const std::exception& e) {
    auto& st = self->state;
    if (st.session) close_session(*st.session);
    st.session.reset();
    spdlog::warn("relay of {} failed: {}", job.id, e.what());
    return results::all(job.idx, results::temporary(0, "4.3.0", std::string("relay: ") + e.what()));
  }
}

relay_target_actor::behavior_type relay_behavior(Self self,
                                                 std::shared_ptr<storage::QueueReaders> readers,
                                                 RelayTargetSettings settings) {
  self->state.readers = std::move(readers);
  self->state.settings = std::move(settings);
  self->attach_functor([=] {
    if (self->state.session) close_session(*self->state.session);
  });
  return {[=](deliver_atom, const delivery_job& job) {
            bool destination_down = false;
            auto report =
                results::timed([&] { return deliver_safely(self, job, destination_down); });
            report.destination_down = destination_down;
            self->state.last_job = std::chrono::steady_clock::now();
            arm_idle_timer(self, self->state.settings.idle_close);
            return report;
          },
          [=](tick_atom) { on_idle_tick(self); }};
}

}  // namespace

ClientTls::ClientTls(const std::string& ca_file) : ctx_(SSL_CTX_new(TLS_client_method())) {
  if (!ctx_) throw std::runtime_error("TLS: cannot create a client context");
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                           : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
  if (ok != 1) {
    SSL_CTX_free(ctx_);
    throw std::runtime_error("TLS: cannot load the trusted CAs" +
                             (ca_file.empty() ? std::string() : " from " + ca_file) + ": " +
                             tls::openssl_errors());
  }
}

ClientTls::~ClientTls() {
  SSL_CTX_free(ctx_);
}

delivery_target_actor spawn_relay_target(caf::actor_system& system,
                                         const storage::QueueFiles& queue,
                                         RelayTargetSettings settings) {
  return system.spawn<caf::detached>(relay_behavior, std::make_shared<storage::QueueReaders>(queue),
                                     std::move(settings));
}

}  // namespace mailactor::actors::outbound
