#include "actors/outbound/dkim_signer.hpp"

#include <fcntl.h>
// dkim.h is C and uses C99's _Bool (it includes <stdbool.h> only for C).
#define _Bool bool
#include <opendkim/dkim.h>
#undef _Bool
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "protocol/base64.hpp"
#include "routing/alias_table.hpp"
#include "routing/relay_policy.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::actors::outbound {
namespace {

DKIM_LIB* lib_of(void* p) {
  return static_cast<DKIM_LIB*>(p);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    throw std::runtime_error("DKIM: cannot read " + p.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// opendkim folds the header with bare LFs; on the wire every line ends with CRLF.
std::string crlf_lines(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n' && (out.empty() || out.back() != '\r')) out += '\r';
    out += c;
  }
  return out;
}

// EVP_PKEY_RSA, EVP_PKEY_ED25519, ...; EVP_PKEY_NONE when the PEM holds no private key.
int key_type(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  int type = key ? EVP_PKEY_base_id(key) : EVP_PKEY_NONE;
  EVP_PKEY_free(key);
  ERR_clear_error();
  return type;
}

bool is_ed25519(const std::string& pem) {
  return key_type(pem) == EVP_PKEY_ED25519;
}

}  // namespace

const std::vector<std::string>& default_dkim_headers() {
  static const std::vector<std::string> h = {
      "from",       "to",           "cc",           "subject",
      "date",       "message-id",   "reply-to",     "in-reply-to",
      "references", "mime-version", "content-type", "content-transfer-encoding"};
  return h;
}

std::vector<DkimKey> load_dkim_keys(const std::string& dir) {
  std::vector<DkimKey> keys;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() != ".key") continue;
    std::string stem = e.path().stem().string();  // "<domain>.<selector>"
    size_t dot = stem.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == stem.size())
      throw std::runtime_error("DKIM: " + e.path().string() +
                               ": expected a name \"<domain>.<selector>.key\"");
    std::string pem = read_file(e.path());
    int type = key_type(pem);
    if (type != EVP_PKEY_RSA && type != EVP_PKEY_ED25519)
      throw std::runtime_error("DKIM: " + e.path().string() +
                               ": not an RSA or Ed25519 private key in PEM");
    keys.push_back({stem.substr(0, dot), stem.substr(dot + 1), std::move(pem)});
  }
  if (ec) throw std::runtime_error("DKIM: cannot list " + dir + ": " + ec.message());
  return keys;
}

DkimSigner::DkimSigner(std::vector<DkimKey> keys, std::vector<std::string> headers)
    : lib_(dkim_init(nullptr, nullptr)), headers_(std::move(headers)) {
  if (!lib_) throw std::runtime_error("DKIM: libopendkim did not start");
  std::vector<const char*> list;
  for (const auto& h : headers_)
    list.push_back(h.c_str());
  list.push_back(nullptr);
  if (dkim_options(lib_of(lib_), DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, list.data(),
                   sizeof(const char**)) != DKIM_STAT_OK)
    throw std::runtime_error("DKIM: the signed header list was refused");
  unsigned flags = DKIM_LIBFLAGS_FIXCRLF;
  dkim_options(lib_of(lib_), DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  for (auto& k : keys) {
    std::string domain = k.domain;
    keys_[domain] = std::move(k);
  }
}

DkimSigner::~DkimSigner() {
  dkim_close(lib_of(lib_));
}

std::string DkimSigner::sign(const std::string& domain, const std::string& id,
                             const Content& content) const {
  auto it = keys_.find(domain);
  if (it == keys_.end()) return "";
  const DkimKey& key = it->second;
  DKIM_STAT status = DKIM_STAT_OK;
  DKIM* d = dkim_sign(
      lib_of(lib_), reinterpret_cast<const unsigned char*>(id.c_str()), nullptr,
      reinterpret_cast<unsigned char*>(const_cast<char*>(key.private_key_pem.c_str())),
      reinterpret_cast<const unsigned char*>(key.selector.c_str()),
      reinterpret_cast<const unsigned char*>(key.domain.c_str()), DKIM_CANON_RELAXED,
      DKIM_CANON_RELAXED,
      is_ed25519(key.private_key_pem) ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &status);
  if (!d) throw std::runtime_error(std::string("DKIM: ") + dkim_getresultstr(status));
  std::string error;
  content([&](std::string_view piece) {
    if (error.empty() && dkim_chunk(d, reinterpret_cast<u_char*>(const_cast<char*>(piece.data())),
                                    piece.size()) != DKIM_STAT_OK)
      error = "cannot read the message";
  });
  u_char* header = nullptr;
  size_t len = 0;
  const std::string name = "DKIM-Signature";
  if (error.empty() && dkim_chunk(d, nullptr, 0) != DKIM_STAT_OK) error = "bad message";
  if (error.empty() && dkim_eom(d, nullptr) != DKIM_STAT_OK) error = "signing failed";
  if (error.empty() && dkim_getsighdr_d(d, name.size() + 2, &header, &len) != DKIM_STAT_OK)
    error = "no signature";
  std::string out =
      error.empty()
          ? crlf_lines(name + ": " + std::string(reinterpret_cast<char*>(header), len)) + "\r\n"
          : "";
  if (!error.empty() && dkim_geterror(d)) error += std::string(": ") + dkim_geterror(d);
  dkim_free(d);
  if (!error.empty()) throw std::runtime_error("DKIM: " + error);
  return out;
}

std::string DkimSigner::sign_header(const storage::QueueReader& reader,
                                    const storage::MessageMeta& meta) const {
  if (meta.mail_from.find('@') == std::string::npos) return "";
  return sign(
      routing::to_lower_ascii(routing::domain_of(meta.mail_from)), meta.id,
      [&](const std::function<void(std::string_view)>& sink) { reader.content(meta.id, sink); });
}

std::string generate_dkim_key(const std::string& dir, const std::string& domain,
                              const std::string& selector) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (!key) throw std::runtime_error("DKIM: key generation failed");
  std::string path = dir + "/" + domain + "." + selector + ".key";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  FILE* f = fd >= 0 ? fdopen(fd, "w") : nullptr;
  bool ok = f && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f) fclose(f);
  unsigned char* der = nullptr;
  int der_len = ok ? i2d_PUBKEY(key, &der) : -1;
  EVP_PKEY_free(key);
  if (!ok || der_len <= 0) {
    OPENSSL_free(der);
    throw std::runtime_error("DKIM: cannot write " + path + ": " +
                             (fd < 0 ? std::strerror(errno) : "OpenSSL failed"));
  }
  std::string p = protocol::base64_encode(
      std::string_view(reinterpret_cast<char*>(der), static_cast<size_t>(der_len)));
  OPENSSL_free(der);
  // A TXT string holds at most 255 octets: a longer value is several strings, joined by resolvers.
  std::string value = "v=DKIM1; k=rsa; p=" + p, quoted;
  for (size_t i = 0; i < value.size(); i += 250)
    quoted += (quoted.empty() ? "\"" : " \"") + value.substr(i, 250) + "\"";
  return selector + "._domainkey." + domain + ". IN TXT " + quoted;
}

}  // namespace mailactor::actors::outbound
