// The delivery plug point's private side: targets registered by name
// (include/mailactor/delivery_target.hpp), each worker spawned as a detached actor that owns one
// instance of the plug-in's class and speaks `delivery_target_actor` to the deliverers.
#pragma once

#include <mailactor/delivery_target.hpp>

#include <caf/actor_system.hpp>

#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "storage/queue_files.hpp"

namespace mailactor::actors {

bool is_plugin_target(const std::string& name);
std::string plugin_target_names();  // "a, b", or "none"

// `workers` instances of the target registered as `name`, built from `options` (the
// `[delivery.<name>]` table; `workers` is ours, 1–64, default 2). Throws OptionError for bad
// options (an unknown key included) and std::runtime_error for an unknown name or a target
// that cannot work.
std::vector<delivery_target_actor> spawn_plugin_targets(caf::actor_system& system,
                                                        const storage::QueueFiles& queue,
                                                        const std::string& name, Options options);

// Builds one instance from `options` and drops it: the check `check-config` and the start make.
void check_plugin_target(const std::string& name, Options options);

// One worker around `target`, for tests.
delivery_target_actor spawn_plugin_target(caf::actor_system& system,
                                          const storage::QueueFiles& queue, std::string name,
                                          std::shared_ptr<delivery::DeliveryTarget> target);

}  // namespace mailactor::actors
