// What the actors are told at spawn time. The app fills these from the TOML config; the actors
// never read files or parse config themselves.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/session_census.hpp"
#include "protocol/engine.hpp"
#include "routing/networks.hpp"
#include "routing/relay_policy.hpp"
#include "routing/retry_policy.hpp"
#include "storage/queue_store.hpp"

namespace mailactor::routing {
class RouterSource;
}

namespace mailactor::tls {
class TlsContextSource;
}

namespace mailactor::actors {

enum class TlsMode {
  none,      // plaintext only
  starttls,  // offer STARTTLS (RFC 3207)
  implicit,  // TLS from the first byte (RFC 8314, port 465 style)
};

enum class ListenerMode {
  mx,          // accept mail for the local domains only; no AUTH required
  submission,  // AUTH required before MAIL; authenticated users may send anywhere
};

struct SessionSettings {
  std::string listener;  // the listener's name, for logs and the queue
  ListenerMode mode = ListenerMode::mx;
  protocol::EngineConfig engine;
  TlsMode tls_mode = TlsMode::none;
  std::shared_ptr<tls::TlsContextSource> tls;  // set unless tls_mode is none
  // What becomes of each recipient (local domains, aliases, users); swapped on SIGHUP.
  std::shared_ptr<routing::RouterSource> router;
  // Mail for other domains from authenticated submission goes out ([relay] enabled); otherwise
  // it stays in the ingest Maildir.
  bool relay = false;
  // Clients on these networks may send mail to other domains without AUTH (Postfix's
  // mynetworks); null: none.
  std::shared_ptr<const routing::Networks> trusted_networks;
  // Where the router runs when a user source may block (Dovecot's userdb), and how long an
  // answer may take before "451 4.3.0".
  resolver_actor resolver;
  std::chrono::milliseconds lookup_timeout{5000};
  tracer_actor tracer;  // null: messages are not traced
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{180};
  std::chrono::seconds spool_timeout{60};
  // Wait this long before the greeting; a client that talks first gets 554 5.5.0. 0: greet now.
  std::chrono::milliseconds greeting_delay{0};
  bool sender_login_match = false;  // MAIL FROM must belong to the authenticated user
  std::chrono::milliseconds auth_timeout{5000};
  size_t max_auth_failures = 3;                 // then 421 4.7.0
  std::chrono::milliseconds auth_tarpit{1000};  // delay before a failure reply, times the count
  size_t read_chunk = 64 * 1024;                // at most this much is read per credit of content
  size_t command_read = 4 * 1024;               // ... and per credit while reading commands
  size_t spool_chunk = 64 * 1024;  // content is sent to the spool in pieces of about this size
  // Under stress (the session table nearly full), a session that has not sent MAIL waits this
  // long for its next command, and ends after this many error replies.
  std::chrono::seconds stress_idle_timeout{10};
  size_t stress_max_errors = 1;
  // Every session counts itself here by state (shared by all listeners; null: not counted).
  std::shared_ptr<SessionCensus> census;
};

// Connection limits the broker applies per listener (counted per listener).
struct ListenerLimits {
  size_t max_sessions = 0;                // 0: only the server-wide max_sessions
  size_t max_sessions_per_ip = 50;        // more from one address: 421 4.7.0 and close
  size_t max_connection_rate_per_ip = 0;  // connections a minute from one address; 0: no limit
};

// PROXY protocol (HAProxy's send-proxy / send-proxy-v2, cloud load balancers): every connection
// must start with a header, from one of the trusted networks, naming the real client; that client
// is then the session's peer for limits, logs, Received: and the envelope.
struct ProxyProtocolSettings {
  bool enabled = false;
  std::shared_ptr<const routing::Networks> trusted;  // balancers; never empty when enabled
  std::chrono::seconds header_timeout{5};            // no complete header by then: closed
};

struct ListenerSettings {
  std::string name;
  std::string host;
  uint16_t port = 0;
  int fd = -1;  // the listening socket, opened by the app
  SessionSettings session;
  ListenerLimits limits;
  ProxyProtocolSettings proxy;
};

struct BrokerSettings {
  std::vector<ListenerSettings> listeners;
  size_t max_sessions = 1000;  // server-wide
  // Stress from this share of max_sessions in use (0: never); at max_sessions with clients
  // waiting, idle sessions that never sent MAIL are ended to make room.
  unsigned stress_percent = 80;
  std::chrono::seconds shutdown_grace{30};
  // Shared by the brokers of all I/O threads; null: the broker makes its own.
  std::shared_ptr<class SessionLedger> ledger;
  size_t io_thread = 0;  // which I/O thread's broker: only the first announces the listeners
  // Where the broker's sessions live; null: the broker's own system. An I/O thread's system ends
  // before the main one, and its sessions run on the main workers: a session still finishing
  // there (it counts as gone before it cancels its timers on its system's clock) would touch a
  // destroyed system (seen: SIGSEGV at exit in caf::local_actor::cleanup).
  caf::actor_system* session_system = nullptr;
};

struct SpoolSettings {
  uint64_t max_pending = 5000;  // writer depth above which new transactions are shed
  size_t max_batch = 1000;      // commits per group commit at most
  uint64_t max_batch_bytes = 64ull * 1024 * 1024;
  std::chrono::milliseconds idle_flush{100};  // content without a waiting commit
  uint32_t node_id = 0;                       // goes into every queue id
  bool keep_content = false;                  // keep delivered content in the queue
  size_t max_message_rate_per_ip = 0;         // messages a minute from one address; 0: no limit
  std::map<std::string, size_t> message_rate_per_listener;  // overrides the above by listener
  std::chrono::milliseconds slow_commit{0};                 // test knob: an artificially slow disk
  // Content without a commit for this long is dropped (its sender is gone without an abort).
  std::chrono::milliseconds abandon_after{std::chrono::hours(1)};
  // Commit latency (oldest waiting commit to durable) at which the pressure level rises.
  std::chrono::milliseconds slow_latency{250};
  std::chrono::milliseconds shed_latency{1000};
  std::chrono::milliseconds refuse_latency{5000};
  tracer_actor tracer;  // null: group commits are not traced
};

struct DeliverySettings {
  routing::RetrySchedule retry;  // temporary failures: when to try again, when to give up
  size_t max_in_flight = 8;      // delivery jobs out to the targets at once
  std::shared_ptr<routing::RouterSource> router;  // routes bounces to their senders
  std::string hostname;                           // ours, in bounces
  // How often the queue is asked for recipients that are due: what `mailactor queue retry`,
  // `release` and `bounce` changed, and anything a lost notification left behind.
  std::chrono::milliseconds due_scan{5000};
  // Share of one core the deliverer may use: after a delivery that took t it rests
  // t * (1 / share - 1), so a backlog never starves the SMTP path. 1: no limit.
  double cpu_share = 1.0;
  // Mail for other domains (null: not relayed): destinations, and their own retry schedule.
  std::shared_ptr<const routing::RelaySettings> relay;
  routing::RetrySchedule relay_retry = routing::remote_retry_schedule();
  size_t relay_per_destination = 20;  // connections to one destination at once
  tracer_actor tracer;                // null: delivery attempts are not traced
  uint32_t queue_file = 0;            // the queue file this deliverer reads (one deliverer each)
};

}  // namespace mailactor::actors
