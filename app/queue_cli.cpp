#include "app/queue_cli.hpp"

#include <cstdio>
#include <iostream>

#include "storage/envelope_json.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor::app {
namespace {

template <class F>
int with_reader(const std::string& spool, F&& f) {
  try {
    storage::QueueReader reader(spool);
    return f(reader);
  } catch (const std::exception& e) {
    std::cerr << "mailactor queue: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

int queue_ls(const std::string& spool, const std::string& state, bool json) {
  std::optional<storage::MessageState> filter;
  if (!state.empty()) {
    filter = storage::parse_state(state);
    if (!filter) {
      std::cerr << "mailactor queue ls: --state is receiving, queued or delivered\n";
      return 2;
    }
  }
  return with_reader(spool, [&](storage::QueueReader& r) {
    for (const auto& e : r.list(filter)) {
      if (json) {
        std::string j = storage::envelope_json(e.meta);
        // One object per line for scripts.
        std::string flat;
        for (char c : j)
          if (c != '\n') flat += c;
        std::cout << flat << "\n";
      } else {
        std::printf("%-24s %-9s %10llu  %s  <%s> -> %zu rcpt%s\n", e.meta.id.c_str(),
                    storage::to_string(e.state), static_cast<unsigned long long>(e.meta.size),
                    storage::rfc3339_utc(e.meta.received_at).c_str(), e.meta.mail_from.c_str(),
                    e.meta.rcpt_to.size(), e.meta.rcpt_to.size() == 1 ? "" : "s");
      }
    }
    return 0;
  });
}

int queue_show(const std::string& spool, const std::string& id) {
  return with_reader(spool, [&](storage::QueueReader& r) {
    auto e = r.get(id);
    if (!e) {
      std::cerr << "mailactor queue show: no message " << id << "\n";
      return 1;
    }
    std::cout << "state: " << storage::to_string(e->state) << "\n"
              << storage::envelope_json(e->meta);
    return 0;
  });
}

int queue_export(const std::string& spool, const std::string& id) {
  return with_reader(spool, [&](storage::QueueReader& r) {
    bool any = r.content(
        id, [](std::string_view bytes) { std::fwrite(bytes.data(), 1, bytes.size(), stdout); });
    if (!any) {
      std::cerr << "mailactor queue export: no content for " << id
                << " (unknown, or delivered and dropped)\n";
      return 1;
    }
    return 0;
  });
}

int queue_purge(const std::string& spool, bool all) {
  return with_reader(spool, [&](storage::QueueReader& r) {
    size_t n = r.purge(all);
    std::cout << "purged " << n << " message" << (n == 1 ? "" : "s") << "\n";
    return 0;
  });
}

}  // namespace mailactor::app
