// The `http` auth backend: each check is a POST to a service the operator writes in any language
// (protocol: actors/auth/http_answer.hpp). libcurl (libcurl4-openssl-dev) does
// HTTP, HTTPS and Unix sockets with keep-alive and a total timeout; its blocking calls run on
// `workers` detached actors (own threads, one connection each), never on a scheduler thread.
//
//   [auth.http]
//   url = "http://127.0.0.1:8080/auth"   # https:// for anything but loopback
//   timeout_ms = 3000                    # then 454 4.7.0
//   workers = 4                          # checks in flight at once
//   unix_socket = "/run/auth.sock"       # optional: connect here, url names the path
//   ca_file = "/etc/ssl/my-ca.pem"       # optional: for https with a private CA
#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <memory>
#include <mutex>

#include "actors/auth/backend_registry.hpp"
#include "actors/auth/http_answer.hpp"
#include "routing/networks.hpp"

namespace mailactor::auth {
namespace {

struct HttpAuthSettings {
  std::string url;
  std::string unix_socket;
  std::string ca_file;
  long timeout_ms = 3000;
};

const std::string kService = "http service: ";

size_t collect_body(char* data, size_t size, size_t n, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * n > kMaxHttpAuthAnswer) return 0;  // curl then fails the transfer
  body->append(data, size * n);
  return size * n;
}

// One connection to the service, kept alive between checks; used by one thread only.
class HttpAuthClient {
 public:
  explicit HttpAuthClient(const HttpAuthSettings& s) : easy_(curl_easy_init()) {
    if (!easy_) throw std::runtime_error("auth http: curl_easy_init failed");
    headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(easy_, CURLOPT_URL, s.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, s.timeout_ms);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(easy_, CURLOPT_PROXY, "");     // never through a proxy from the environment
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, collect_body);
    if (!s.unix_socket.empty())
      curl_easy_setopt(easy_, CURLOPT_UNIX_SOCKET_PATH, s.unix_socket.c_str());
    if (!s.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, s.ca_file.c_str());
  }
  HttpAuthClient(const HttpAuthClient&) = delete;
  HttpAuthClient& operator=(const HttpAuthClient&) = delete;
  ~HttpAuthClient() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(easy_);
  }

  // The service's verdict; every temporary failure's reason names the service.
  auth_result check(const auth_request& r) {
    std::string request = http_auth_request_body(r);
    std::string body;
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request.c_str());
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.size()));
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &body);
    CURLcode rc = curl_easy_perform(easy_);
    std::fill(request.begin(), request.end(), '\0');  // the password, not left in freed memory
    if (rc != CURLE_OK) return auth_result::temporary_failure(kService + curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
    auth_result verdict = interpret_http_auth_answer(status, body);
    if (verdict.get() == auth_status::temporary_failure) verdict.reason = kService + verdict.reason;
    return verdict;
  }

 private:
  CURL* easy_;
  curl_slist* headers_ = nullptr;
};

auth_actor::behavior_type http_worker(auth_actor::pointer, std::shared_ptr<HttpAuthClient> client) {
  return {
      [=](authenticate_atom, const auth_request& r) { return client->check(r); },
  };
}

// The url's scheme and host, checked: passwords travel in the request.
void check_url(BackendOptions& o, const std::string& url, bool unix_socket) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  char* scheme = nullptr;
  char* host = nullptr;
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u.get(), CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    curl_free(scheme);
    o.fail("url", "is not a URL (expected e.g. \"http://127.0.0.1:8080/auth\")");
  }
  std::string s = scheme, h = host;
  curl_free(scheme);
  curl_free(host);
  if (s != "http" && s != "https") o.fail("url", "must be http:// or https://");
  if (s == "http" && !unix_socket && !routing::is_loopback_host(h))
    o.fail("url", "plain http would send passwords across the network to " + h +
                      ": use https, a loopback address or unix_socket");
}

auth_actor make_http(BackendContext& ctx, BackendOptions& o) {
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  HttpAuthSettings s;
  s.url = o.take_required("url");
  s.unix_socket = o.take("unix_socket");
  s.ca_file = o.take("ca_file");
  s.timeout_ms = o.take_int("timeout_ms", 3000, 50, 60000);
  const long workers = o.take_int("workers", 4, 1, 64);
  check_url(o, s.url, !s.unix_socket.empty());
  std::vector<auth_actor> pool;
  for (long i = 0; i < workers; ++i)
    pool.push_back(
        ctx.system->spawn<caf::detached>(http_worker, std::make_shared<HttpAuthClient>(s)));
  spdlog::info("auth: http service {}{}, timeout {} ms, {} worker{}", s.url,
               s.unix_socket.empty() ? "" : " via " + s.unix_socket, s.timeout_ms, workers,
               workers == 1 ? "" : "s");
  return spawn_worker_pool(*ctx.system, std::move(pool));
}

}  // namespace

void register_http_backend() {
  register_builtin_backend("http", make_http);
}

}  // namespace mailactor::auth
