// mailactor with a delivery target of your own: each message for the route "webhook" is POSTed
// to an HTTP endpoint as multipart/form-data, the part "envelope" (application/json: sender,
// this delivery's recipients, client, TLS, ...) and the part "message" (message/rfc822, the mail
// as received). The endpoint's answer is every recipient's result:
//
//   2xx                          delivered
//   410 Gone                     failed for good: the sender gets a bounce
//   any other answer, no answer  tried again later (the queue's retry schedule)
//   within timeout_ms
//
//   [delivery.webhook]
//   url = "https://ingest.example.com/mail"
//   timeout_ms = 30000                   # the whole request
//   authorization = "Bearer s3cret"      # optional: the Authorization header
//   workers = 4                          # requests at once (mailactor's key)
//   [routing.routes]
//   "hooks.example.com" = "webhook"
#include <curl/curl.h>
#include <mailactor/delivery_target.hpp>
#include <mailactor/main.hpp>

#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mailactor::delivery;

struct CurlHandles {
  CURL* easy = nullptr;
  curl_mime* form = nullptr;
  curl_slist* headers = nullptr;
  ~CurlHandles() {
    curl_slist_free_all(headers);
    curl_mime_free(form);
    curl_easy_cleanup(easy);
  }
};

size_t discard_body(char*, size_t size, size_t count, void*) {
  return size * count;
}

class Webhook : public DeliveryTarget {
 public:
  Webhook(std::string url, long timeout_ms, std::string authorization)
      : url_(std::move(url)), timeout_ms_(timeout_ms), authorization_(std::move(authorization)) {}

  std::vector<Result> deliver(const Job& job, const Content& content) override {
    std::string message;  // whole: an HTTP body wants its length (messages are size-limited)
    message.reserve(job.size);
    content.read([&](std::string_view piece) { message.append(piece); });
    Result r = post(job, message);
    return std::vector<Result>(job.recipients.size(), r);
  }

 private:
  Result post(const Job& job, const std::string& message) const {
    CurlHandles h;
    h.easy = curl_easy_init();
    if (!h.easy) return Result::temporary("curl_easy_init failed");
    h.form = curl_mime_init(h.easy);
    add_part(h.form, "envelope", job.envelope_json, "application/json", nullptr);
    const std::string file = job.queue_id + ".eml";
    add_part(h.form, "message", message, "message/rfc822", file.c_str());
    h.headers = curl_slist_append(h.headers, ("X-Mailactor-Queue-Id: " + job.queue_id).c_str());
    if (!authorization_.empty())
      h.headers = curl_slist_append(h.headers, ("Authorization: " + authorization_).c_str());
    curl_easy_setopt(h.easy, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(h.easy, CURLOPT_MIMEPOST, h.form);
    curl_easy_setopt(h.easy, CURLOPT_HTTPHEADER, h.headers);
    curl_easy_setopt(h.easy, CURLOPT_TIMEOUT_MS, timeout_ms_);
    curl_easy_setopt(h.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h.easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h.easy, CURLOPT_WRITEFUNCTION, discard_body);
    char error[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h.easy, CURLOPT_ERRORBUFFER, error);
    if (CURLcode rc = curl_easy_perform(h.easy); rc != CURLE_OK)
      return Result::temporary(url_ + ": " + (error[0] ? error : curl_easy_strerror(rc)));
    long status = 0;
    curl_easy_getinfo(h.easy, CURLINFO_RESPONSE_CODE, &status);
    const std::string said = "HTTP " + std::to_string(status) + " from " + url_;
    if (status >= 200 && status < 300) return Result::delivered(said);
    if (status == 410) return Result::permanent(said);
    return Result::temporary(said);
  }

  static void add_part(curl_mime* form, const char* name, const std::string& data, const char* type,
                       const char* filename) {
    curl_mimepart* part = curl_mime_addpart(form);
    curl_mime_name(part, name);
    curl_mime_data(part, data.data(), data.size());
    curl_mime_type(part, type);
    if (filename) curl_mime_filename(part, filename);
  }

  std::string url_;
  long timeout_ms_;
  std::string authorization_;
};

std::unique_ptr<DeliveryTarget> make_webhook(mailactor::Options& options) {
  std::string url = options.take_required("url");
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    options.fail("url", "must start with http:// or https://");
  long timeout_ms = options.take_int("timeout_ms", 30000, 100, 600000);
  return std::make_unique<Webhook>(std::move(url), timeout_ms, options.take("authorization"));
}

}  // namespace

int main(int argc, char** argv) {
  curl_global_init(CURL_GLOBAL_DEFAULT);  // once, before any thread uses curl
  try {
    register_delivery_target("webhook", make_webhook);
  } catch (const std::exception& e) {  // e.g. built against another mailactor API version
    std::cerr << "mailactor-webhook: " << e.what() << "\n";
    return 2;
  }
  return mailactor::main(argc, argv);
}
