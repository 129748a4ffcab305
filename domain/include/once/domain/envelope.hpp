// What travels with a command but is not part of its meaning. Nothing here
// enters the fingerprint: a retry with a new trace id is the same intent.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace once::domain {

struct envelope {
  std::string tenant;                     // from the authenticated principal, never from the body
  std::string principal;                  // who asked (user, client id); for audit only
  std::optional<std::string> client_key;  // an Idempotency-Key or message id, when the command uses one
  std::string correlation_id;
  std::string causation_id;
  std::string trace_parent;  // W3C traceparent
  std::chrono::system_clock::time_point received_at{};
};

}  // namespace once::domain
