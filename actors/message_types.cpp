#include "actors/message_types.hpp"

#include "actors/messages.hpp"

namespace mailactor::actors {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<storage::MessageMeta>("mailactor::MessageMeta");
  cfg.add_message_type<storage::RoutedRecipient>("mailactor::RoutedRecipient");
  cfg.add_message_type<std::vector<storage::RoutedRecipient>>(
      "std::vector<mailactor::RoutedRecipient>");
  cfg.add_message_type<spool_reply>("mailactor::spool_reply");
  cfg.add_message_type<spool_ticket>("mailactor::spool_ticket");
  cfg.add_message_type<actor_stats>("mailactor::actor_stats");
  cfg.add_message_type<histogram_stats>("mailactor::histogram_stats");
  cfg.add_message_type<session_view>("mailactor::session_view");
  cfg.add_message_type<auth_request>("mailactor::auth_request");
  cfg.add_message_type<auth_result>("mailactor::auth_result");
  cfg.add_message_type<queue_writer_actor>("mailactor::queue_writer_actor");
  cfg.add_message_type<trace::Event>("mailactor::TraceEvent");
  cfg.add_message_type<trace::Record>("mailactor::TraceRecord");
  cfg.add_message_type<std::vector<trace::Record>>("std::vector<mailactor::TraceRecord>");
}

}  // namespace mailactor::actors
