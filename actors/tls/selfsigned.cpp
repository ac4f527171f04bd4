#include "actors/tls/selfsigned.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "actors/tls/tls_context.hpp"

namespace mailactor::tls {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key new_key() {
  Key key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) throw std::runtime_error("key generation failed: " + openssl_errors());
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, issuer, cert, nullptr, nullptr, 0);
  if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str())) {
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
}

// A certificate for `key` named `cn`, signed by `issuer_key` as `issuer` (null: self-signed).
Cert make_cert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, int days,
               bool ca) {
  Cert cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * days);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_subject_alt_name, "DNS:" + cn);
    if (issuer) {
      // The node link is TLS in both directions: every node is client and server.
      add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
      add_extension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0)
    throw std::runtime_error("signing failed: " + openssl_errors());
  return cert;
}

template <class Fn>
void write_file(const std::string& path, mode_t mode, Fn&& fn) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) throw std::runtime_error("cannot write " + path);
  ::chmod(path.c_str(), mode);
  bool ok = fn(f);
  std::fclose(f);
  if (!ok) throw std::runtime_error("cannot write " + path + ": " + openssl_errors());
}

void write_pair(const std::string& cert_path, const std::string& key_path, X509* cert,
                EVP_PKEY* key) {
  write_file(key_path, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  write_file(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert) == 1; });
}

template <class T, class Fn, class Free>
std::unique_ptr<T, Free> read_pem(const std::string& path, Fn&& read, Free free) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) throw std::runtime_error("cannot read " + path);
  T* x = read(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!x) throw std::runtime_error("cannot read " + path + ": " + openssl_errors());
  return std::unique_ptr<T, Free>(x, free);
}

}  // namespace

void write_self_signed(const std::string& dir, const std::string& hostname, int days) {
  std::filesystem::create_directories(dir);
  Key key = new_key();
  Cert cert = make_cert(key.get(), hostname, nullptr, nullptr, days, false);
  write_pair(dir + "/cert.pem", dir + "/key.pem", cert.get(), key.get());
}

void write_node_certs(const std::string& dir, const std::vector<std::string>& names, int days) {
  std::filesystem::create_directories(dir);
  const std::string ca_pem = dir + "/ca.pem", ca_key = dir + "/ca.key";
  Key key(nullptr, EVP_PKEY_free);
  Cert ca(nullptr, X509_free);
  if (std::filesystem::exists(ca_pem)) {
    ca = read_pem<X509>(ca_pem, PEM_read_X509, X509_free);
    key = read_pem<EVP_PKEY>(ca_key, PEM_read_PrivateKey, EVP_PKEY_free);
  } else {
    key = new_key();
    ca = make_cert(key.get(), "mailactor node CA", nullptr, nullptr, days, true);
    write_pair(ca_pem, ca_key, ca.get(), key.get());
  }
  for (const auto& name : names) {
    if (name.empty() || name.find('/') != std::string::npos || name == "ca")
      throw std::runtime_error("bad node name '" + name + "'");
    Key node_key = new_key();
    Cert cert = make_cert(node_key.get(), name, ca.get(), key.get(), days, false);
    write_pair(dir + "/" + name + ".pem", dir + "/" + name + ".key", cert.get(), node_key.get());
  }
}

}  // namespace mailactor::tls
