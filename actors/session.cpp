#include "actors/session.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <cctype>
#include <chrono>
#include <deque>
#include <variant>

#include "actors/recipient_policy.hpp"
#include "actors/tls/tls_stream.hpp"
#include "protocol/engine.hpp"
#include "protocol/received.hpp"

namespace mailactor::actors {
namespace {

using Clock = std::chrono::steady_clock;
using protocol::Action;
using protocol::Actions;
namespace action = protocol::action;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct SessionState {
  static inline const char* name = "session";

  std::unique_ptr<protocol::Engine> engine;
  caf::actor broker;
  SessionPeer peer;
  std::shared_ptr<const SessionSettings> settings;
  spooler_actor spooler;
  stats_actor stats;
  auth_front_actor auth;
  size_t auth_failures = 0;
  std::unique_ptr<tls::TlsStream> tls;  // set from STARTTLS (or the first byte, implicit TLS) on

  // The performing loop: actions run in order; results of synchronous decisions append theirs.
  std::deque<Action> todo;
  bool performing = false;
  size_t in_flight = 0;  // requests out to the spooler / writer: no reads meanwhile

  // The spool transaction of the current MAIL (ticket taken at MAIL, content streamed later).
  std::string queue_id;
  queue_writer_actor writer;
  uint64_t txn = 0;  // generation: answers for an older transaction are ignored
  bool message_open = false;
  bool ending = false;    // EndMessage seen: commit once the pipe is clear
  bool txn_busy = false;  // an append or commit of this transaction is in flight
  bool written = false;   // something was appended: an abort must reach the writer
  std::string content;    // not yet sent to the writer
  storage::MessageMeta meta;
  Clock::time_point message_started;

  // Connection.
  bool read_requested = false;
  bool closed = false;
  bool draining = false;
  Clock::time_point waiting_since = Clock::now();
  bool timer_armed = false;
  Clock::time_point connected = Clock::now();
  std::string logged_helo;
  uint64_t messages = 0;
  uint64_t rejected = 0;
};

using Self = caf::stateful_actor<SessionState>;

void perform(Self* self, Actions actions);

void log_rejections(Self* self, std::string_view bytes) {
  auto& st = self->state;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find("\r\n", pos);
    if (end == std::string_view::npos) end = bytes.size();
    std::string_view line = bytes.substr(pos, end - pos);
    if (line.size() > 3 && (line[0] == '4' || line[0] == '5') && line[3] == ' ') {
      ++st.rejected;
      spdlog::info("reject {}:{} {}", st.peer.address, st.peer.port, line);
    }
    pos = end + 2;
  }
}

void write_raw(Self* self, std::string bytes) {
  auto& st = self->state;
  if (!bytes.empty()) self->send(st.broker, write_atom::value, st.peer.hdl, std::move(bytes));
}

void write(Self* self, std::string bytes) {
  auto& st = self->state;
  log_rejections(self, bytes);
  if (st.tls && st.tls->handshake_done()) {
    st.tls->send(bytes);
    bytes = st.tls->take_output();
  }
  write_raw(self, std::move(bytes));
}

void maybe_read(Self* self) {
  auto& st = self->state;
  if (st.closed || st.read_requested || st.in_flight > 0 || st.performing) return;
  bool handshaking = st.tls && !st.tls->handshake_done();
  if (!st.engine->wants_input() && !handshaking) return;
  st.read_requested = true;
  st.waiting_since = Clock::now();
  spdlog::debug("read {}:{}", st.peer.address, st.peer.port);
  self->send(st.broker, read_atom::value, st.peer.hdl);
}

void arm_timer(Self* self, std::chrono::milliseconds after) {
  auto& st = self->state;
  if (st.timer_armed || st.closed) return;
  st.timer_armed = true;
  self->delayed_send(self, after, tick_atom::value);
}

std::chrono::seconds current_timeout(const SessionState& st) {
  return st.engine->waiting() == protocol::Waiting::data ? st.settings->data_timeout
                                                         : st.settings->command_timeout;
}

void on_tick(Self* self) {
  auto& st = self->state;
  st.timer_armed = false;
  if (st.closed) return;
  auto limit = current_timeout(st);
  auto waiting = st.engine->waiting();
  bool waits_for_client = st.read_requested &&
                          (waiting == protocol::Waiting::command ||
                           waiting == protocol::Waiting::data || waiting == protocol::Waiting::tls);
  auto elapsed = Clock::now() - st.waiting_since;
  if (waits_for_client && elapsed >= limit) {
    spdlog::info("timeout {}:{} after {}s", st.peer.address, st.peer.port, limit.count());
    perform(self, st.engine->timeout());
    return;
  }
  // The phase can change before the next tick: never sleep past the shorter of the two timeouts.
  auto shortest = std::min(st.settings->command_timeout, st.settings->data_timeout);
  auto next = std::chrono::duration_cast<std::chrono::milliseconds>(std::min<Clock::duration>(
      waits_for_client ? limit - elapsed : Clock::duration(limit), shortest));
  arm_timer(self, std::max(next, std::chrono::milliseconds(10)));
}

protocol::Reply reply_of(const spool_reply& r) {
  return protocol::reply(r.code, r.status, r.text);
}

void finish_request(Self* self) {
  --self->state.in_flight;
  maybe_read(self);
}

void reset_transaction(SessionState& st) {
  st.queue_id.clear();
  st.writer = nullptr;
  st.message_open = false;
  st.ending = false;
  st.written = false;
  st.content.clear();
  ++st.txn;
}

// Sends buffered content on to the writer when enough has gathered, or commits at the end.
void pump(Self* self) {
  auto& st = self->state;
  if (!st.message_open || st.txn_busy) return;
  const uint64_t txn = st.txn;
  if (st.ending) {
    st.txn_busy = true;
    ++st.in_flight;
    st.meta.received_at = unix_now();
    self->request(st.writer, st.settings->spool_timeout, commit_atom::value, st.meta,
                  std::move(st.content))
        .then(
            [=](const spool_reply& r) {
              auto& s = self->state;
              if (s.txn == txn) {
                s.txn_busy = false;
                s.message_open = false;
                if (r.ok) {
                  ++s.messages;
                  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() -
                                                                                  s.message_started)
                                .count();
                  spdlog::info("queued {} from=<{}> rcpts={} size={} ms={} client={}:{}{}",
                               s.queue_id, s.meta.mail_from, s.meta.rcpt_to.size(), r.size, ms,
                               s.peer.address, s.peer.port,
                               s.meta.auth_user.empty() ? "" : " auth=" + s.meta.auth_user);
                  std::string id = s.queue_id;
                  reset_transaction(s);
                  perform(self, s.engine->queued(id));
                } else {
                  spdlog::warn("spool refused {}: {} {}", s.queue_id, r.code, r.text);
                  reset_transaction(s);
                  perform(self, s.engine->spool_failed(reply_of(r)));
                }
              }
              finish_request(self);
            },
            [=](caf::error& e) {
              auto& s = self->state;
              if (s.txn == txn) {
                spdlog::warn("spool commit of {} failed: {}", s.queue_id, self->system().render(e));
                s.txn_busy = false;
                s.message_open = false;
                reset_transaction(s);
                perform(self, s.engine->spool_failed(
                                  protocol::reply(451, "4.3.0", "Local error in processing")));
              }
              finish_request(self);
            });
    st.content = std::string();
    return;
  }
  if (st.content.size() < st.settings->spool_chunk) return;
  st.txn_busy = true;
  st.written = true;
  ++st.in_flight;
  self->request(st.writer, st.settings->spool_timeout, append_atom::value, st.queue_id,
                std::move(st.content))
      .then(
          [=](const spool_reply& r) {
            auto& s = self->state;
            if (s.txn == txn) {
              s.txn_busy = false;
              if (r.ok) {
                pump(self);
              } else {
                perform(self, s.engine->spool_failed(reply_of(r)));
              }
            }
            finish_request(self);
          },
          [=](caf::error&) {
            auto& s = self->state;
            if (s.txn == txn) {
              s.txn_busy = false;
              perform(self, s.engine->spool_failed(
                                protocol::reply(451, "4.3.0", "Local error in processing")));
            }
            finish_request(self);
          });
  st.content = std::string();
}

void abort_message(Self* self) {
  auto& st = self->state;
  if (st.written && st.writer) self->send(st.writer, abort_atom::value, st.queue_id);
  reset_transaction(st);
}

void begin_message(Self* self, const action::BeginMessage& b) {
  auto& st = self->state;
  if (st.queue_id.empty()) {  // no ticket: cannot happen after an accepted MAIL
    perform(self, st.engine->spool_failed(protocol::reply(451, "4.3.0", "Local error")));
    return;
  }
  const auto& env = b.envelope;
  st.message_open = true;
  st.ending = false;
  st.message_started = Clock::now();
  st.meta = storage::MessageMeta{};
  st.meta.id = st.queue_id;
  st.meta.mail_from = env.mail_from;
  st.meta.rcpt_to = env.rcpt_to;
  st.meta.helo = env.helo;
  st.meta.client_addr = st.peer.address;
  st.meta.client_port = st.peer.port;
  st.meta.listener = st.settings->listener;
  st.meta.auth_user = env.auth_user;
  st.meta.protocol = env.with_protocol();
  std::string params;
  if (env.params.size) params += "SIZE=" + std::to_string(*env.params.size);
  if (env.params.body != protocol::BodyType::unspecified)
    params +=
        std::string(params.empty() ? "" : " ") + "BODY=" + protocol::to_string(env.params.body);
  if (env.params.smtputf8) params += std::string(params.empty() ? "" : " ") + "SMTPUTF8";
  st.meta.params = params;
  protocol::ReceivedInfo info;
  if (st.tls && st.tls->handshake_done()) {
    info.tls_protocol = st.meta.tls_protocol = st.tls->protocol();
    info.tls_cipher = st.meta.tls_cipher = st.tls->cipher();
  }
  info.client_ip = st.peer.address;
  info.hostname = st.settings->engine.hostname;
  info.queue_id = st.queue_id;
  info.unix_time = unix_now();
  st.content = protocol::received_header(env, info);
}

void check_sender(Self* self) {
  auto& st = self->state;
  ++st.in_flight;
  const uint64_t txn = ++st.txn;
  self->request(st.spooler, st.settings->spool_timeout, begin_atom::value)
      .then(
          [=](const spool_ticket& t) {
            auto& s = self->state;
            if (s.txn == txn && !s.closed) {
              if (t.accepted) {
                s.queue_id = t.id;
                s.writer = t.writer;
                perform(self, s.engine->sender_checked(protocol::Verdict::accept()));
              } else {
                perform(self, s.engine->sender_checked(protocol::Verdict::reject(
                                  protocol::reply(451, "4.3.2", "Try again later"))));
              }
            }
            finish_request(self);
          },
          [=](caf::error&) {
            auto& s = self->state;
            if (s.txn == txn && !s.closed)
              perform(self, s.engine->sender_checked(protocol::Verdict::reject(
                                protocol::reply(451, "4.3.0", "Local error in processing"))));
            finish_request(self);
          });
}

// sender_login_match: an authenticated user sends only as itself ("alice" owns alice@any
// domain; "alice@example.test" owns exactly that address).
bool sender_allowed(Self* self, const std::string& address) {
  auto& st = self->state;
  const std::string& user = st.engine->auth_user();
  if (!st.settings->sender_login_match || user.empty()) return true;
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string addr = lower(address);
  std::string who = lower(user);
  bool owns = who.find('@') != std::string::npos ? addr == who : addr.rfind(who + "@", 0) == 0;
  if (owns) return true;
  perform(self, st.engine->sender_checked(protocol::Verdict::reject(protocol::reply(
                    553, "5.7.1", "Sender address rejected: not owned by user " + user))));
  return false;
}

void authenticate(Self* self, const action::Authenticate& a) {
  auth_request req{a.mechanism,
                   a.authzid,
                   a.user,
                   a.secret,
                   self->state.peer.address,
                   self->state.settings->listener,
                   self->state.engine->tls_active()};
  ++self->state.in_flight;
  auto t0 = Clock::now();
  std::string user = a.user;
  std::string mechanism = a.mechanism;
  auto done = [=](const auth_result& r) {
    auto& s = self->state;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    const char* result = r.get() == auth_status::ok        ? "ok"
                         : r.get() == auth_status::invalid ? "invalid"
                                                           : "temporary failure";
    spdlog::info("auth {}:{} mechanism={} user={} result={} ms={}{}", s.peer.address, s.peer.port,
                 mechanism, user, result, ms, r.reason.empty() ? "" : " (" + r.reason + ")");
    if (s.closed) {
      finish_request(self);
      return;
    }
    if (r.get() != auth_status::invalid) {
      auto outcome = r.get() == auth_status::ok ? protocol::AuthOutcome::ok
                                                : protocol::AuthOutcome::temporary_failure;
      perform(self, s.engine->auth_result(outcome, r.canonical_user));
      finish_request(self);
      return;
    }
    ++s.auth_failures;
    self->send(s.stats, count_atom::value, "auth_failures_" + s.peer.address, uint64_t{1});
    // Tarpit: every failure in this session waits longer before its answer.
    auto delay = s.settings->auth_tarpit * static_cast<int64_t>(s.auth_failures);
    self->delayed_send(self, delay, auth_done_atom::value);
  };
  self->request(self->state.auth, self->state.settings->auth_timeout + std::chrono::seconds(2),
                authenticate_atom::value, std::move(req))
      .then(done, [=](caf::error& e) {
        done(auth_result::temporary_failure("auth front: " + self->system().render(e)));
      });
}

void auth_failed(Self* self) {
  auto& s = self->state;
  if (!s.closed) {
    perform(self, s.engine->auth_result(protocol::AuthOutcome::invalid));
    if (!s.closed && s.auth_failures >= s.settings->max_auth_failures) {
      spdlog::info("auth {}:{}: {} failures, disconnecting", s.peer.address, s.peer.port,
                   s.auth_failures);
      perform(self, s.engine->terminate(
                        protocol::reply(421, "4.7.0", "Too many authentication failures")));
    }
  }
  finish_request(self);
}

void close_session(Self* self) {
  auto& st = self->state;
  if (st.closed) return;
  st.closed = true;
  if (st.message_open) abort_message(self);
  if (st.tls && st.tls->handshake_done()) {
    st.tls->shutdown();
    write_raw(self, st.tls->take_output());
  }
  self->send(st.broker, hangup_atom::value, st.peer.hdl);
  auto secs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - st.connected);
  spdlog::info("disconnect {}:{} messages={} rejected={} ms={}", st.peer.address, st.peer.port,
               st.messages, st.rejected, secs.count());
  self->send(st.stats, count_atom::value, std::string("sessions_closed"), uint64_t{1});
  self->quit();
}

void count(Self* self, std::string name) {
  self->send(self->state.stats, count_atom::value, std::move(name), uint64_t{1});
}

// The engine's 220 has gone out in plaintext; everything from here on is TLS.
void start_tls(Self* self) {
  auto& st = self->state;
  auto ctx = st.settings->tls ? st.settings->tls->current() : nullptr;
  if (!ctx) {
    perform(self, st.engine->terminate(protocol::reply(421, "4.7.0", "TLS not available")));
    return;
  }
  st.tls = std::make_unique<tls::TlsStream>(std::move(ctx));
}

// Ciphertext from the client: handshake, then decrypted bytes for the engine.
void tls_input(Self* self, std::string_view ciphertext) {
  auto& st = self->state;
  bool was_done = st.tls->handshake_done();
  std::string plain;
  auto status = st.tls->receive(ciphertext, plain);
  write_raw(self, st.tls->take_output());
  if (status == tls::TlsStream::Status::failed) {
    spdlog::info("tls {}:{} {} failed: {}", st.peer.address, st.peer.port,
                 was_done ? "connection" : "handshake", st.tls->error());
    count(self, was_done ? "tls_errors" : "tls_handshake_failures");
    // No SMTP reply can be said over a broken TLS stream: the alert (if any) went out above.
    st.tls.reset();
    close_session(self);
    return;
  }
  if (!was_done && st.tls->handshake_done()) {
    spdlog::info("tls {}:{} {} {}", st.peer.address, st.peer.port, st.tls->protocol(),
                 st.tls->cipher());
    count(self, "tls_handshakes");
    count(self, "tls_" + st.tls->protocol());
    perform(self, st.settings->tls_mode == TlsMode::implicit ? st.engine->greet()
                                                             : st.engine->tls_started());
  }
  if (!plain.empty() && !st.closed) perform(self, st.engine->input(plain));
  if (status == tls::TlsStream::Status::closed && !st.closed) close_session(self);
  if (!st.closed) maybe_read(self);
}

void handle(Self* self, Action& a) {
  auto& st = self->state;
  if (auto* s = std::get_if<action::Send>(&a)) {
    write(self, std::move(s->bytes));
  } else if (auto* cs = std::get_if<action::CheckSender>(&a)) {
    if (!sender_allowed(self, cs->address)) return;
    check_sender(self);
  } else if (auto* r = std::get_if<action::CheckRecipient>(&a)) {
    auto verdict = check_recipient(*st.settings, r->address, !st.engine->auth_user().empty());
    perform(self, st.engine->recipient_checked(verdict));
  } else if (auto* au = std::get_if<action::Authenticate>(&a)) {
    authenticate(self, *au);
  } else if (auto* b = std::get_if<action::BeginMessage>(&a)) {
    begin_message(self, *b);
  } else if (auto* m = std::get_if<action::MessageChunk>(&a)) {
    if (st.message_open) {
      st.content += m->bytes;
      pump(self);
    }
  } else if (std::holds_alternative<action::EndMessage>(a)) {
    st.ending = true;
    pump(self);
  } else if (std::holds_alternative<action::AbortMessage>(a)) {
    abort_message(self);
  } else if (std::holds_alternative<action::StartTls>(a)) {
    start_tls(self);
  } else if (std::holds_alternative<action::Close>(a)) {
    close_session(self);
  }
}

void perform(Self* self, Actions actions) {
  auto& st = self->state;
  for (auto& a : actions)
    st.todo.push_back(std::move(a));
  if (st.performing) return;
  st.performing = true;
  while (!st.todo.empty() && !st.closed) {
    Action a = std::move(st.todo.front());
    st.todo.pop_front();
    handle(self, a);
  }
  st.todo.clear();
  st.performing = false;
  if (st.closed) return;
  if (st.engine->helo() != st.logged_helo) {
    st.logged_helo = st.engine->helo();
    spdlog::info("helo {}:{} {}", st.peer.address, st.peer.port, st.logged_helo);
  }
  // Graceful shutdown: leave once no transaction is open.
  if (st.draining && !st.engine->in_transaction() && st.in_flight == 0 &&
      st.engine->waiting() == protocol::Waiting::command) {
    perform(self, st.engine->shutdown());
    return;
  }
  maybe_read(self);
}

caf::behavior session_behavior(Self* self, caf::actor broker, SessionPeer peer,
                               std::shared_ptr<const SessionSettings> settings,
                               spooler_actor spooler, stats_actor stats, auth_front_actor auth) {
  auto& st = self->state;
  st.engine = std::make_unique<protocol::Engine>(settings->engine);
  st.broker = std::move(broker);
  st.peer = std::move(peer);
  st.settings = std::move(settings);
  st.spooler = std::move(spooler);
  st.stats = std::move(stats);
  st.auth = std::move(auth);
  spdlog::info("connect {}:{} listener={}", st.peer.address, st.peer.port, st.settings->listener);
  if (st.settings->tls_mode == TlsMode::implicit) {
    start_tls(self);  // the greeting follows the handshake
    maybe_read(self);
  } else {
    st.engine->set_tls_available(st.settings->tls != nullptr);
    perform(self, st.engine->greet());
  }
  arm_timer(self, std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::min(st.settings->command_timeout, st.settings->data_timeout)));
  return {
      [=](data_atom, std::vector<char>& bytes) {
        auto& s = self->state;
        s.read_requested = false;
        spdlog::debug("data {}:{} {} bytes in_flight={}", s.peer.address, s.peer.port, bytes.size(),
                      s.in_flight);
        if (s.closed) return;
        if (s.tls) {
          tls_input(self, std::string_view(bytes.data(), bytes.size()));
          return;
        }
        perform(self, s.engine->input(std::string_view(bytes.data(), bytes.size())));
      },
      [=](closed_atom) {
        auto& s = self->state;
        if (s.message_open || s.engine->in_transaction())
          spdlog::info("lost {}:{} mid-transaction: nothing queued", s.peer.address, s.peer.port);
        s.read_requested = false;
        close_session(self);
      },
      [=](tick_atom) { on_tick(self); },
      [=](auth_done_atom) { auth_failed(self); },
      [=](drain_atom) {
        self->state.draining = true;
        perform(self, {});
      },
      [=](stop_atom) {
        if (!self->state.closed) perform(self, self->state.engine->shutdown());
      },
  };
}

}  // namespace

caf::actor spawn_session(caf::actor_system& system, caf::actor broker, SessionPeer peer,
                         std::shared_ptr<const SessionSettings> settings, spooler_actor spooler,
                         stats_actor stats, auth_front_actor auth) {
  return system.spawn(session_behavior, std::move(broker), std::move(peer), std::move(settings),
                      std::move(spooler), std::move(stats), std::move(auth));
}

}  // namespace mailactor::actors
