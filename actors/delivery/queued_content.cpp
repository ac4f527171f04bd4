#include "actors/delivery/queued_content.hpp"

#include "protocol/data_decoder.hpp"

namespace mailactor::actors {

void send_queued_content(ClientConnection& c, const storage::QueueReader& reader,
                         const std::string& id, std::string_view prefix) {
  protocol::DotStuffer stuffer;
  std::string wire;
  stuffer.append(prefix, wire);
  reader.content(id, [&](std::string_view piece) {
    stuffer.append(piece, wire);
    c.write(wire);
    wire.clear();
  });
  stuffer.finish(wire);
  c.write(wire);
}

}  // namespace mailactor::actors
