// The LMTP delivery target (see delivery_targets.hpp): one connection per target actor, reused
// across jobs; the delivery settings bound how many such actors there are.
#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <memory>
#include <stdexcept>

#include "actors/delivery/delivery_results.hpp"
#include "actors/delivery/delivery_targets.hpp"
#include "actors/delivery/queued_content.hpp"
#include "actors/net/client_connection.hpp"
#include "protocol/client_transaction.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;

struct LmtpState {
  static inline const char* name = "lmtp_target";
  std::shared_ptr<storage::QueueReaders> readers;
  LmtpSettings settings;
  std::unique_ptr<ClientConnection> conn;  // open between jobs
};

using Self = delivery_target_actor::stateful_pointer<LmtpState>;

std::unique_ptr<ClientConnection> open_session(const LmtpSettings& s) {
  auto c = std::make_unique<ClientConnection>(s.address, s.timeout);
  auto greeting = c->read_reply();
  if (greeting.code != 220) throw std::runtime_error("greeting: " + greeting.summary());
  c->write("LHLO " + s.hostname + "\r\n");
  auto lhlo = c->read_reply();
  if (lhlo.code != 250) throw std::runtime_error("LHLO: " + lhlo.summary());
  return c;
}

// One transaction over the open connection. `replies_read` tells the caller whether the server
// took part in it at all (a reused connection the server closed meanwhile has not).
std::vector<DeliveryResult> run_transaction(Self self, const delivery_job& job,
                                            const storage::QueueReader& reader,
                                            const std::string& mail_from, bool& replies_read) {
  auto& st = self->state;
  protocol::ClientTransaction t(mail_from, job.recipients, {true, true, "", {}});
  st.conn->write(t.commands());
  while (!t.done()) {
    auto r = st.conn->read_reply();
    replies_read = true;
    if (t.on_reply(r) == protocol::ClientTransaction::Next::send_content)
      send_queued_content(*st.conn, reader, job.id);
  }
  if (t.connection_unusable()) st.conn.reset();
  std::vector<DeliveryResult> out;
  for (size_t i = 0; i < job.idx.size(); ++i)
    out.push_back(results::from_reply(job.idx[i], *t.results()[i], st.settings.address));
  return out;
}

std::vector<DeliveryResult> deliver_lmtp(Self self, const delivery_job& job) {
  auto& st = self->state;
  const auto& reader = st.readers->of(job.queue_file);
  auto entry = reader.get(job.id);
  if (!entry) return results::message_gone(job);
  for (int attempt = 0;; ++attempt) {
    const bool reused = st.conn != nullptr;
    bool replies_read = false;
    try {
      if (!st.conn) st.conn = open_session(st.settings);
      return run_transaction(self, job, reader, entry->meta.mail_from, replies_read);
    } catch (const std::exception& e) {
      st.conn.reset();
      // A kept connection the server has closed since: once more on a new one. After any reply
      // a second try could deliver twice; the retry schedule takes over instead.
      if (reused && !replies_read && attempt == 0) continue;
      spdlog::warn("LMTP delivery of {} to {} failed: {}", job.id, st.settings.address, e.what());
      return results::all(job.idx, results::temporary(0, "4.4.1", std::string("LMTP: ") + e.what(),
                                                      st.settings.address));
    }
  }
}

delivery_target_actor::behavior_type lmtp_behavior(Self self,
                                                   std::shared_ptr<storage::QueueReaders> readers,
                                                   LmtpSettings settings) {
  self->state.readers = std::move(readers);
  self->state.settings = std::move(settings);
  return {[=](deliver_atom, const delivery_job& job) {
    return results::timed([&] {
      try {
        return deliver_lmtp(self, job);
      } catch (const std::exception& e) {  // never the actor's end: its slot would stay dead
        self->state.conn.reset();
        return results::all(job.idx,
                            results::temporary(0, "4.3.0", std::string("LMTP: ") + e.what()));
      }
    });
  }};
}

}  // namespace

delivery_target_actor spawn_lmtp_target(caf::actor_system& system, const storage::QueueFiles& queue,
                                        LmtpSettings settings) {
  return system.spawn<caf::detached>(lmtp_behavior, std::make_shared<storage::QueueReaders>(queue),
                                     std::move(settings));
}

}  // namespace mailactor::actors
