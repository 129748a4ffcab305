/// \file
/// What a message consumer records besides the commands it dispatches: which
/// messages it received (a receipt is written with a command's effects, see
/// envelope::receipt; this port answers whether one exists) and which it gave
/// up on. A port: PostgreSQL and memory implement it.
#pragma once

#include <cstdint>
#include <string>

#include <once/application/error.hpp>
#include <once/domain/envelope.hpp>

namespace once::application {

/// A message sent to the dead-letter topic, and why.
struct dead_letter {
  std::string consumer;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string message_id;  // empty when it had no event-id
  std::string event_type;
  std::string error;  // the reason; never the message's content
  int attempts = 0;
};

class inbox_store {
 public:
  virtual ~inbox_store() = default;
  [[nodiscard]] virtual result<bool> has_received(domain::message_receipt const& receipt) = 0;
  /// For a message handled without new effects (its intent was already applied): the receipt alone.
  [[nodiscard]] virtual result<void> record_receipt(domain::message_receipt const& receipt) = 0;
  /// Recorded once per (consumer, topic, partition, offset); a second time is no change.
  [[nodiscard]] virtual result<void> record_dead_letter(dead_letter const& letter) = 0;
};

}  // namespace once::application
