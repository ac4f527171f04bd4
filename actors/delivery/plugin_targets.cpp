#include "actors/delivery/plugin_targets.hpp"

#include <spdlog/spdlog.h>
#include <caf/typed_event_based_actor.hpp>

#include "actors/delivery/delivery_results.hpp"
#include "plugin/api_version.hpp"
#include "plugin/plugin_registry.hpp"
#include "storage/envelope_json.hpp"
#include "storage/queue_reader.hpp"

namespace mailactor {
namespace {

PluginRegistry<delivery::DeliveryTargetFactory>& registry() {
  static PluginRegistry<delivery::DeliveryTargetFactory> r;
  return r;
}

}  // namespace

void delivery::register_delivery_target_for_api(int api_version, const std::string& name,
                                                DeliveryTargetFactory factory) {
  check_api_version(api_version, "delivery target \"" + name + "\"");
  registry().put(name, std::move(factory));
}

namespace actors {
namespace {

using delivery::Outcome;
using storage::DeliveryResult;

class QueuedContent : public delivery::Content {
 public:
  QueuedContent(const storage::QueueReader& reader, const std::string& id)
      : reader_(reader), id_(id) {}
  void read(const std::function<void(std::string_view)>& piece) const override {
    if (!reader_.content(id_, piece))
      throw std::runtime_error("message " + id_ + " is no longer in the queue");
  }

 private:
  const storage::QueueReader& reader_;
  const std::string& id_;
};

delivery::Job public_job(const delivery_job& job, const std::string& route,
                         storage::MessageMeta meta) {
  delivery::Job j{job.id, route, meta.mail_from, {}, {}, meta.size};
  for (size_t i = 0; i < job.recipients.size(); ++i)
    j.recipients.push_back({job.recipients[i], i < job.originals.size() ? job.originals[i] : ""});
  meta.rcpt_to = job.recipients;
  j.envelope_json = storage::envelope_json(meta);
  return j;
}

// The plug-in's answer in the queue's terms: the outcome's usual reply, with the code and
// enhanced status the target gave, if any.
DeliveryResult internal_result(uint32_t idx, const delivery::Result& r) {
  DeliveryResult out = r.outcome == Outcome::delivered ? results::delivered(idx, r.text)
                       : r.outcome == Outcome::permanent
                           ? results::permanent(idx, 550, "5.0.0", r.text)
                           : results::temporary(idx, "4.0.0", r.text);
  if (r.code) out.code = r.code;
  if (!r.status.empty()) out.enhanced = r.status;
  return out;
}

std::vector<DeliveryResult> deliver_with(delivery::DeliveryTarget& target, const std::string& route,
                                         const storage::QueueReader& reader,
                                         const delivery_job& job) {
  auto entry = reader.get(job.id);
  if (!entry) return results::message_gone(job);
  std::vector<delivery::Result> answers;
  try {
    answers = target.deliver(public_job(job, route, entry->meta), QueuedContent(reader, job.id));
  } catch (const std::exception& e) {
    spdlog::warn("delivery target {} failed on {}: {}", route, job.id, e.what());
    return results::all(job.idx, results::temporary(0, "4.3.0", route + ": " + e.what()));
  }
  if (answers.size() != job.idx.size())
    return results::all(
        job.idx,
        results::temporary(0, "4.3.0",
                           route + " answered " + std::to_string(answers.size()) + " results for " +
                               std::to_string(job.idx.size()) + " recipients"));
  std::vector<DeliveryResult> out;
  for (size_t i = 0; i < answers.size(); ++i)
    out.push_back(internal_result(job.idx[i], answers[i]));
  return out;
}

struct PluginTargetState {
  static inline const char* name = "plugin_target";
};

delivery_target_actor::behavior_type plugin_target_behavior(
    delivery_target_actor::stateful_pointer<PluginTargetState>, std::string route,
    std::shared_ptr<storage::QueueReaders> readers,
    std::shared_ptr<delivery::DeliveryTarget> target) {
  return {[=](deliver_atom, const delivery_job& job) {
    return results::timed(
        [&] { return deliver_with(*target, route, readers->of(job.queue_file), job); });
  }};
}

}  // namespace

bool is_plugin_target(const std::string& name) {
  return registry().find(name).has_value();
}

std::string plugin_target_names() {
  return registry().listed();
}

delivery_target_actor spawn_plugin_target(caf::actor_system& system,
                                          const storage::QueueFiles& queue, std::string name,
                                          std::shared_ptr<delivery::DeliveryTarget> target) {
  return system.spawn<caf::detached>(plugin_target_behavior, std::move(name),
                                     std::make_shared<storage::QueueReaders>(queue),
                                     std::move(target));
}

namespace {

// `workers` instances of the target, each from its own copy of the options (it takes its keys
// from it); the first copy then refuses keys nobody took.
std::vector<std::unique_ptr<delivery::DeliveryTarget>> build_targets(const std::string& name,
                                                                     Options& options,
                                                                     size_t workers) {
  auto factory = registry().find(name);
  if (!factory)
    throw std::runtime_error("unknown delivery target \"" + name +
                             "\" (registered: " + registry().listed() + ")");
  std::vector<std::unique_ptr<delivery::DeliveryTarget>> built;
  for (size_t i = 0; i < workers; ++i) {
    Options own = options;
    built.push_back((*factory)(own));
    if (!built.back()) throw std::runtime_error("delivery target \"" + name + "\" built nothing");
    if (i == 0) own.finish();
  }
  return built;
}

size_t take_workers(Options& options) {
  return static_cast<size_t>(options.take_int("workers", 2, 1, 64));
}

}  // namespace

void check_plugin_target(const std::string& name, Options options) {
  take_workers(options);
  build_targets(name, options, 1);
}

std::vector<delivery_target_actor> spawn_plugin_targets(caf::actor_system& system,
                                                        const storage::QueueFiles& queue,
                                                        const std::string& name, Options options) {
  const size_t workers = take_workers(options);
  std::vector<delivery_target_actor> pool;
  for (auto& target : build_targets(name, options, workers))
    pool.push_back(spawn_plugin_target(system, queue, name, std::move(target)));
  return pool;
}

}  // namespace actors
}  // namespace mailactor
