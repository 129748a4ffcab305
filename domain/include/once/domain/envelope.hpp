/// \file
/// What travels with a command but is not part of its meaning. Nothing here
/// enters the fingerprint: a retry with a new trace id is the same intent.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace once::domain {

/// The message a command came from, as its consumer received it: recorded in
/// the inbox in the same transaction as the command's effects, so that a
/// redelivery of the message is known without dispatching it again.
struct message_receipt {
  std::string consumer;    // the consumer group
  std::string message_id;  // the message's event-id
};

struct envelope {
  std::string tenant;                     // from the authenticated principal, never from the body
  std::string principal;                  // who asked (user, client id); for audit only
  std::optional<std::string> client_key;  // an Idempotency-Key or message id, when the command uses one
  std::string correlation_id;
  std::string causation_id;
  std::string trace_parent;  // W3C traceparent
  std::chrono::system_clock::time_point received_at{};
  std::optional<message_receipt> receipt;  // set by a message consumer
};

}  // namespace once::domain
