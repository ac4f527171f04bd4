#include "actors/delivery/delivery_targets.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <stdexcept>

#include "actors/delivery/delivery_results.hpp"
#include "storage/envelope_json.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {
namespace {

using results::all;
using results::delivered;
using results::permanent;
using results::timed;
using storage::DeliveryResult;

std::vector<DeliveryResult> deliver_ingest(const storage::QueueReader& reader,
                                           storage::Maildir& maildir, const delivery_job& job) {
  auto entry = reader.get(job.id);
  if (!entry) return results::message_gone(job);
  try {
    if (!maildir.delivered(job.id))
      maildir.deliver(job.id, storage::envelope_json(entry->meta),
                      [&](const storage::Maildir::Writer& w) { reader.content(job.id, w); });
    return all(job.idx, delivered(0, "delivered to the ingest Maildir"));
  } catch (const std::exception& e) {
    spdlog::error("delivery of {} to the ingest Maildir failed: {}", job.id, e.what());
    return all(job.idx, results::temporary(0, "4.3.0", e.what()));
  }
}

DeliveryResult deliver_to_mailbox(const storage::QueueReader& reader,
                                  storage::MailboxStore& mailboxes, const delivery_job& job,
                                  const std::string& mail_from, size_t i) {
  const uint32_t idx = job.idx[i];
  const std::string& mailbox = job.targets[i];
  if (!mailboxes.maildir_of(mailbox))
    return permanent(idx, 550, "5.1.3", "not a usable mailbox name: " + mailbox);
  // What Postfix's virtual(8) and Dovecot's LMTP add: the envelope the mailbox cannot show.
  const std::string trace =
      "Return-Path: <" + mail_from + ">\r\nDelivered-To: " + job.recipients[i] + "\r\n";
  try {
    mailboxes.deliver(mailbox, job.id + "." + std::to_string(idx),
                      [&](const storage::Maildir::Writer& w) {
                        w(trace);
                        reader.content(job.id, w);
                      });
    return delivered(idx, "delivered to " + mailbox);
  } catch (const std::exception& e) {
    spdlog::error("delivery of {} to mailbox {} failed: {}", job.id, mailbox, e.what());
    return results::temporary(idx, "4.3.0", e.what());
  }
}

std::vector<DeliveryResult> deliver_mailboxes(const storage::QueueReader& reader,
                                              storage::MailboxStore& mailboxes,
                                              const delivery_job& job) {
  auto entry = reader.get(job.id);
  if (!entry) return results::message_gone(job);
  std::vector<DeliveryResult> out;
  for (size_t i = 0; i < job.idx.size(); ++i)
    out.push_back(deliver_to_mailbox(reader, mailboxes, job, entry->meta.mail_from, i));
  return out;
}

struct IngestState {
  static inline const char* name = "ingest_target";
};
struct MailboxState {
  static inline const char* name = "mailbox_target";
};

// The state is passed as spawn arguments, not captured: CAF 0.17.6 dereferences a null argument
// tuple for spawns without arguments (UBSan reports it).
delivery_target_actor::behavior_type ingest_behavior(
    delivery_target_actor::stateful_pointer<IngestState>,
    std::shared_ptr<storage::QueueReaders> readers, std::shared_ptr<storage::Maildir> maildir) {
  return {[=](deliver_atom, const delivery_job& job) {
    return timed([&] { return deliver_ingest(readers->of(job.queue_file), *maildir, job); });
  }};
}

delivery_target_actor::behavior_type mailbox_behavior(
    delivery_target_actor::stateful_pointer<MailboxState>,
    std::shared_ptr<storage::QueueReaders> readers,
    std::shared_ptr<storage::MailboxStore> mailboxes) {
  return {[=](deliver_atom, const delivery_job& job) {
    return timed([&] { return deliver_mailboxes(readers->of(job.queue_file), *mailboxes, job); });
  }};
}

}  // namespace

delivery_target_actor spawn_ingest_target(caf::actor_system& system,
                                          const storage::QueueFiles& queue,
                                          std::shared_ptr<storage::Maildir> maildir) {
  return system.spawn<caf::detached>(
      ingest_behavior, std::make_shared<storage::QueueReaders>(queue), std::move(maildir));
}

delivery_target_actor spawn_mailbox_target(caf::actor_system& system,
                                           const storage::QueueFiles& queue,
                                           std::shared_ptr<storage::MailboxStore> mailboxes) {
  return system.spawn<caf::detached>(
      mailbox_behavior, std::make_shared<storage::QueueReaders>(queue), std::move(mailboxes));
}

}  // namespace mailactor::actors
