// What the queue records about a message besides its content (the envelope and where it came
// from). Plain data: the actors carry it in messages, the queue stores it, the deliverer writes it
// out as the envelope JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mailactor::storage {

// The one list of MessageMeta's fields: X(type, name, what it holds). Everything that walks the
// fields expands it — the struct below, the queue's columns and its insert and select
// (queue_columns.hpp), CAF's serialization (actors/messages.hpp) and the envelope JSON — so a
// new field is added here only, and nothing lists them by position.
#define MAILACTOR_MESSAGE_META_FIELDS(X)                                            \
  X(std::string, id, "queue id, as in \"250 2.0.0 Ok: queued as <id>\"")            \
  X(std::string, mail_from, "reverse-path, '' for <>")                              \
  X(std::vector<std::string>, rcpt_to, "forward-paths (a JSON array in the queue)") \
  X(std::string, helo, "what the client said in HELO/EHLO")                         \
  X(std::string, client_addr, "the peer's address")                                 \
  X(uint16_t, client_port, "the peer's port")                                       \
  X(std::string, listener, "the listener's name")                                   \
  X(std::string, auth_user, "'' when not authenticated")                            \
  X(std::string, tls_protocol, "'' without TLS")                                    \
  X(std::string, tls_cipher, "'' without TLS")                                      \
  X(std::string, protocol, "SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA")                  \
  X(std::string, params, "MAIL parameters as given: \"BODY=8BITMIME SMTPUTF8\"")    \
  X(int64_t, received_at, "unix seconds")                                           \
  X(uint64_t, size, "octets stored (our Received: header included)")

struct MessageMeta {
#define MAILACTOR_DECLARE_FIELD(type, name, what) type name{};
  MAILACTOR_MESSAGE_META_FIELDS(MAILACTOR_DECLARE_FIELD)
#undef MAILACTOR_DECLARE_FIELD
};

// Calls f(name, field) for each field of `m`, in the list's order.
template <class Meta, class F>
void for_each_field(Meta& m, F&& f) {
#define MAILACTOR_VISIT_FIELD(type, name, what) f(#name, m.name);
  MAILACTOR_MESSAGE_META_FIELDS(MAILACTOR_VISIT_FIELD)
#undef MAILACTOR_VISIT_FIELD
}

enum class MessageState { receiving, queued, delivered };
const char* to_string(MessageState s);

}  // namespace mailactor::storage
