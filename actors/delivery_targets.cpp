#include "actors/delivery_targets.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <stdexcept>

#include "storage/envelope_json.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors {
namespace {

using storage::DeliveryResult;
using storage::RecipientState;

DeliveryResult delivered(uint32_t idx, std::string text) {
  return {idx, RecipientState::delivered, 0, 250, "2.0.0", std::move(text), ""};
}
DeliveryResult temporary(uint32_t idx, std::string text) {
  return {idx, RecipientState::pending, 0, 451, "4.3.0", std::move(text), ""};
}
DeliveryResult permanent(uint32_t idx, int code, std::string enhanced, std::string text) {
  return {idx, RecipientState::failed, 0, code, std::move(enhanced), std::move(text), ""};
}

// Runs `work` and fills in how long it took.
template <class F>
delivery_report timed(F&& work) {
  auto t0 = std::chrono::steady_clock::now();
  delivery_report r;
  r.results = work();
  r.busy_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  return r;
}

// Every recipient of the job gets the same answer.
std::vector<DeliveryResult> all(const delivery_job& job, const DeliveryResult& r) {
  std::vector<DeliveryResult> out;
  for (uint32_t idx : job.idx) {
    out.push_back(r);
    out.back().idx = idx;
  }
  return out;
}

std::vector<DeliveryResult> deliver_ingest(const storage::QueueReader& reader,
                                           storage::Maildir& maildir, const delivery_job& job) {
  auto entry = reader.get(job.id);
  if (!entry) return all(job, permanent(0, 554, "5.3.0", "message no longer in the queue"));
  try {
    if (!maildir.delivered(job.id))
      maildir.deliver(job.id, storage::envelope_json(entry->meta),
                      [&](const storage::Maildir::Writer& w) { reader.content(job.id, w); });
    return all(job, delivered(0, "delivered to the ingest Maildir"));
  } catch (const std::exception& e) {
    spdlog::error("delivery of {} to the ingest Maildir failed: {}", job.id, e.what());
    return all(job, temporary(0, e.what()));
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
    return temporary(idx, e.what());
  }
}

std::vector<DeliveryResult> deliver_mailboxes(const storage::QueueReader& reader,
                                              storage::MailboxStore& mailboxes,
                                              const delivery_job& job) {
  auto entry = reader.get(job.id);
  if (!entry) return all(job, permanent(0, 554, "5.3.0", "message no longer in the queue"));
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
    std::shared_ptr<storage::QueueReader> reader, std::shared_ptr<storage::Maildir> maildir) {
  return {[=](deliver_atom, const delivery_job& job) {
    return timed([&] { return deliver_ingest(*reader, *maildir, job); });
  }};
}

delivery_target_actor::behavior_type mailbox_behavior(
    delivery_target_actor::stateful_pointer<MailboxState>,
    std::shared_ptr<storage::QueueReader> reader,
    std::shared_ptr<storage::MailboxStore> mailboxes) {
  return {[=](deliver_atom, const delivery_job& job) {
    return timed([&] { return deliver_mailboxes(*reader, *mailboxes, job); });
  }};
}

}  // namespace

delivery_target_actor spawn_ingest_target(caf::actor_system& system, std::string spool_dir,
                                          std::shared_ptr<storage::Maildir> maildir) {
  return system.spawn<caf::detached>(
      ingest_behavior, std::make_shared<storage::QueueReader>(spool_dir), std::move(maildir));
}

delivery_target_actor spawn_mailbox_target(caf::actor_system& system, std::string spool_dir,
                                           std::shared_ptr<storage::MailboxStore> mailboxes) {
  return system.spawn<caf::detached>(
      mailbox_behavior, std::make_shared<storage::QueueReader>(spool_dir), std::move(mailboxes));
}

}  // namespace mailactor::actors
