#include "app/queue_cli.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>

#include "storage/envelope_json.hpp"
#include "storage/queue_files.hpp"
#include "storage/queue_reader.hpp"
#include "storage/unix_time.hpp"

namespace mailactor::app {
namespace {

using Readers = std::vector<std::unique_ptr<storage::QueueReader>>;

// `f` gets a reader on each queue file (queue_files.hpp; a gap is null).
template <class F>
int with_readers(const std::string& spool, F&& f) {
  try {
    Readers readers = storage::open_queue_readers(spool);
    if (readers.empty())
      throw std::runtime_error("no queue at " + storage::queue_file_path(spool, 0));
    return f(readers);
  } catch (const std::exception& e) {
    std::cerr << "mailactor queue: " << e.what() << "\n";
    return 2;
  }
}

// "2 delivered, 1 pending" for the message's recipients.
std::string recipient_summary(const std::vector<storage::RecipientRow>& rows) {
  std::map<std::string, size_t> by_state;
  for (const auto& r : rows)
    ++by_state[storage::to_string(r.state)];
  std::string out;
  for (const auto& [state, n] : by_state)
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + state;
  return out;
}

void print_recipient(const storage::RecipientRow& r) {
  std::printf("  %-32s %-8s %-9s attempts=%lld", r.routed.address.c_str(), r.routed.route.c_str(),
              storage::to_string(r.state), static_cast<long long>(r.attempts));
  if (r.state == storage::RecipientState::pending)
    std::printf(" next=%s", storage::rfc3339_utc(r.next_attempt_at).c_str());
  if (r.routed.original != r.routed.address) std::printf(" (from %s)", r.routed.original.c_str());
  if (r.last_code)
    std::printf(
        "\n      last reply: %s",
        storage::reply_line(*r.last_code, r.last_enhanced, r.last_text, r.last_host).c_str());
  std::printf("\n");
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
  return with_readers(spool, [&](const Readers& readers) {
    // Every file's messages in one list, in arrival order (ids sort by it).
    std::vector<std::pair<storage::QueueEntry, const storage::QueueReader*>> all;
    for (const auto& r : readers)
      if (r)
        for (auto& e : r->list(filter))
          all.emplace_back(std::move(e), r.get());
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first.meta.id < b.first.meta.id; });
    for (const auto& [e, r] : all) {
      if (json) {
        std::string j = storage::envelope_json(e.meta);
        // One object per line for scripts.
        std::string flat;
        for (char c : j)
          if (c != '\n') flat += c;
        std::cout << flat << "\n";
      } else {
        std::printf("%-24s %-9s %10llu  %s  <%s> -> %s\n", e.meta.id.c_str(),
                    storage::to_string(e.state), static_cast<unsigned long long>(e.meta.size),
                    storage::rfc3339_utc(e.meta.received_at).c_str(), e.meta.mail_from.c_str(),
                    recipient_summary(r->recipients(e.meta.id)).c_str());
      }
    }
    return 0;
  });
}

int queue_show(const std::string& spool, const std::string& id) {
  return with_readers(spool, [&](const Readers& readers) {
    auto [r, e] = storage::find_message(readers, id);
    if (!r) {
      std::cerr << "mailactor queue show: no message " << id << "\n";
      return 1;
    }
    std::cout << "state: " << storage::to_string(e->state) << "\n"
              << storage::envelope_json(e->meta) << "recipients:\n"
              << std::flush;
    for (const auto& row : r->recipients(id))
      print_recipient(row);
    return 0;
  });
}

int queue_export(const std::string& spool, const std::string& id) {
  return with_readers(spool, [&](const Readers& readers) {
    auto* r = storage::find_message(readers, id).reader;
    bool any = r && r->content(id, [](std::string_view bytes) {
      std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    });
    if (!any) {
      std::cerr << "mailactor queue export: no content for " << id
                << " (unknown, or delivered and dropped)\n";
      return 1;
    }
    return 0;
  });
}

int queue_move(const std::string& spool, const std::string& command, const std::string& id) {
  using S = storage::RecipientState;
  struct Move {
    std::vector<S> from;
    S to;
  };
  const std::map<std::string, Move> moves = {{"retry", {{S::pending}, S::pending}},
                                             {"hold", {{S::pending}, S::held}},
                                             {"release", {{S::held}, S::pending}},
                                             {"bounce", {{S::pending, S::held}, S::bouncing}}};
  const Move& m = moves.at(command);
  return with_readers(spool, [&](const Readers& readers) {
    auto* r = storage::find_message(readers, id).reader;
    size_t n = r ? r->move_recipients(id, m.from, m.to, storage::unix_now()) : 0;
    if (n == 0) {
      std::cerr << "mailactor queue " << command << ": " << id << " has no recipient that is "
                << storage::to_string(m.from.back()) << "\n";
      return 1;
    }
    std::cout << command << ": " << n << " recipient" << (n == 1 ? "" : "s") << " of " << id
              << " now " << storage::to_string(m.to) << (m.to == S::pending ? ", due now" : "")
              << "\n";
    return 0;
  });
}

int queue_purge(const std::string& spool, bool all) {
  return with_readers(spool, [&](const Readers& readers) {
    size_t n = 0;
    for (const auto& r : readers)
      if (r) n += r->purge(all);
    std::cout << "purged " << n << " message" << (n == 1 ? "" : "s") << "\n";
    return 0;
  });
}

}  // namespace mailactor::app
