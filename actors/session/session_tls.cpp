// STARTTLS and implicit TLS: the session holds the TLS stream and feeds the engine plaintext.
#include "actors/session/session_state.hpp"

#include <spdlog/spdlog.h>

namespace mailactor::actors::session_detail {

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
    count(self, was_done ? metrics::Id::tls_errors : metrics::Id::tls_handshake_failures);
    // No SMTP reply can be said over a broken TLS stream: the alert (if any) went out above.
    st.tls.reset();
    close_session(self);
    return;
  }
  if (!was_done && st.tls->handshake_done()) {
    spdlog::info("tls {}:{} {} {}", st.peer.address, st.peer.port, st.tls->protocol(),
                 st.tls->cipher());
    count(self, metrics::Id::tls_handshakes);
    st.trace.tls_us = trace::now_us();
    count(self, metrics::Id::tls_protocol, st.tls->protocol());
    perform(self, st.settings->tls_mode == TlsMode::implicit ? st.engine->greet()
                                                             : st.engine->tls_started());
  }
  if (!plain.empty() && !st.closed) perform(self, st.engine->input(plain));
  if (status == tls::TlsStream::Status::closed && !st.closed) close_session(self);
  if (!st.closed) maybe_read(self);
}

}  // namespace mailactor::actors::session_detail
