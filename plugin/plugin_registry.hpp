// Factories by name, for both plug points (auth backends, user sources): registered from any
// thread before the server starts, looked up at start and on each SIGHUP.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace mailactor {

template <class Factory>
class PluginRegistry {
 public:
  void put(const std::string& name, Factory f) {
    std::lock_guard<std::mutex> lock(mutex_);
    factories_[name] = std::move(f);
  }
  // Keeps a factory registered before under that name.
  void put_default(const std::string& name, Factory f) {
    std::lock_guard<std::mutex> lock(mutex_);
    factories_.emplace(name, std::move(f));
  }
  std::optional<Factory> find(const std::string& name) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = factories_.find(name);
    if (it == factories_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string> names() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> n;
    for (const auto& [name, f] : factories_)
      n.push_back(name);
    return n;
  }
  // "a, b, c", or "none".
  std::string listed() const {
    std::string all;
    for (const auto& n : names())
      all += (all.empty() ? "" : ", ") + n;
    return all.empty() ? "none" : all;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Factory> factories_;
};

}  // namespace mailactor
