// The router in use, swapped as a whole on SIGHUP: sessions take the current one per RCPT, and a
// session that holds the old one finishes its lookup with it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "routing/router.hpp"

namespace mailactor::routing {

class RouterSource {
 public:
  explicit RouterSource(std::shared_ptr<const Router> router) : router_(std::move(router)) {}

  std::shared_ptr<const Router> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return router_;
  }
  void replace(std::shared_ptr<const Router> router) {
    std::lock_guard<std::mutex> lock(mutex_);
    router_ = std::move(router);
  }

  // Every local part at these domains to the ingest Maildir (the default routing).
  static std::shared_ptr<RouterSource> ingest(std::vector<std::string> local_domains) {
    RouterSettings s;
    s.local_domains = std::move(local_domains);
    return std::make_shared<RouterSource>(std::make_shared<const Router>(std::move(s)));
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Router> router_;
};

}  // namespace mailactor::routing
