// TlsStream over memory BIOs against an OpenSSL client, and TlsContext's start-up errors.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fstream>

#include "actors/tls/selfsigned.hpp"
#include "actors/tls/tls_context.hpp"
#include "actors/tls/tls_stream.hpp"
#include "tests/unit/storage/temp_dir.hpp"

namespace mailactor::tls {
namespace {

using mailactor::testing::TempDir;

struct Client {
  explicit Client(int max_version = 0) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (max_version) {
      SSL_CTX_set_min_proto_version(ctx, max_version);
      SSL_CTX_set_max_proto_version(ctx, max_version);
      SSL_CTX_set_security_level(ctx, 0);
      SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
    }
    ssl = SSL_new(ctx);
    in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
  }
  ~Client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string take() {
    std::string s(BIO_ctrl_pending(out), '\0');
    if (!s.empty()) BIO_read(out, s.data(), static_cast<int>(s.size()));
    return s;
  }
  void give(const std::string& s) {
    if (!s.empty()) BIO_write(in, s.data(), static_cast<int>(s.size()));
  }
  SSL_CTX* ctx;
  SSL* ssl;
  BIO* in;
  BIO* out;
};

// Runs the handshake between client and server; returns the server's last status.
TlsStream::Status handshake(Client& c, TlsStream& server) {
  TlsStream::Status st = TlsStream::Status::ok;
  for (int round = 0; round < 10 && !(server.handshake_done() && SSL_is_init_finished(c.ssl));
       ++round) {
    SSL_do_handshake(c.ssl);
    std::string plain;
    st = server.receive(c.take(), plain);
    c.give(server.take_output());
    if (st == TlsStream::Status::failed) break;
  }
  SSL_do_handshake(c.ssl);
  return st;
}

struct TlsFixture : ::testing::Test {
  TlsFixture() {
    write_self_signed(dir.path(), "mx.example.test");
    ctx = TlsContext::load({dir / "cert.pem", dir / "key.pem", TLS1_2_VERSION});
  }
  TempDir dir;
  std::shared_ptr<TlsContext> ctx;
};

TEST_F(TlsFixture, HandshakeAndDataBothWays) {
  Client c;
  TlsStream server(ctx);
  ASSERT_EQ(handshake(c, server), TlsStream::Status::ok);
  EXPECT_TRUE(server.handshake_done());
  EXPECT_EQ(server.protocol(), "TLSv1.3");
  EXPECT_FALSE(server.cipher().empty());
  SSL_write(c.ssl, "EHLO x\r\n", 8);
  std::string plain;
  EXPECT_EQ(server.receive(c.take(), plain), TlsStream::Status::ok);
  EXPECT_EQ(plain, "EHLO x\r\n");
  EXPECT_EQ(server.send("250 ok\r\n"), TlsStream::Status::ok);
  c.give(server.take_output());
  char buf[64];
  int n = SSL_read(c.ssl, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "250 ok\r\n");
  SSL_shutdown(c.ssl);
  EXPECT_EQ(server.receive(c.take(), plain), TlsStream::Status::closed);
}

TEST_F(TlsFixture, OldProtocolsAreRefused) {
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    Client c(version);
    TlsStream server(ctx);
    EXPECT_EQ(handshake(c, server), TlsStream::Status::failed) << version;
    EXPECT_FALSE(server.handshake_done());
    EXPECT_NE(server.error().find("unsupported protocol"), std::string::npos) << server.error();
  }
}

TEST_F(TlsFixture, GarbageFailsCleanly) {
  TlsStream server(ctx);
  std::string plain;
  EXPECT_EQ(server.receive("MAIL FROM:<a@b>\r\nRSET\r\n", plain), TlsStream::Status::failed);
  EXPECT_TRUE(plain.empty());
  EXPECT_FALSE(server.handshake_done());
}

TEST_F(TlsFixture, StartupErrorsNameTheFile) {
  auto expect_error = [&](TlsSettings s, const std::string& needle) {
    try {
      TlsContext::load(s);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({dir / "missing.pem", dir / "key.pem", TLS1_2_VERSION}, "missing.pem");
  expect_error({dir / "cert.pem", dir / "missing-key.pem", TLS1_2_VERSION}, "missing-key.pem");
  TempDir other;
  write_self_signed(other.path(), "other.example");
  expect_error({dir / "cert.pem", other / "key.pem", TLS1_2_VERSION}, "does not match");
  std::ofstream(dir / "junk.pem") << "not a certificate\n";
  expect_error({dir / "junk.pem", dir / "key.pem", TLS1_2_VERSION}, "junk.pem");
}

}  // namespace
}  // namespace mailactor::tls
