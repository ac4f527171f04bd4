// The local delivery targets, each a detached actor (its file I/O and fsyncs never hold a
// scheduler thread) with its own queue connection to read the content from:
// Each reads the queue files of the server; a job says which holds its message.
//   ingest   the one ingest Maildir with its envelope JSON, once per message for all its
//            ingest recipients (the pipeline's view: one file, every recipient in the envelope)
//   mailbox  per-user Maildirs (MailboxStore); one file per (message, recipient), named
//            <queue id>.<row> so a redelivery after a crash finds it and does not duplicate it
//   lmtp     an LMTP server (Dovecot) over one connection, kept open for the next job: LHLO,
//            then MAIL, RCPT per recipient and DATA pipelined, one reply per accepted
//            recipient after the content (protocol/client_transaction.hpp)
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "actors/messages.hpp"
#include "storage/mailbox_store.hpp"
#include "storage/maildir.hpp"
#include "storage/queue_files.hpp"

namespace mailactor::actors {

delivery_target_actor spawn_ingest_target(caf::actor_system& system,
                                          const storage::QueueFiles& queue,
                                          std::shared_ptr<storage::Maildir> maildir);
delivery_target_actor spawn_mailbox_target(caf::actor_system& system,
                                           const storage::QueueFiles& queue,
                                           std::shared_ptr<storage::MailboxStore> mailboxes);

struct LmtpSettings {
  std::string address;                       // "unix:/path" or "HOST:PORT"
  std::string hostname;                      // ours, for LHLO
  std::chrono::milliseconds timeout{60000};  // per reply (RFC 5321 §4.5.3.2 asks for minutes)
};
delivery_target_actor spawn_lmtp_target(caf::actor_system& system, const storage::QueueFiles& queue,
                                        LmtpSettings settings);

}  // namespace mailactor::actors
