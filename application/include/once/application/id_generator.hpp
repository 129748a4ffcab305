/// \file
/// Port: unique ids for outbox messages (the event id consumers deduplicate on).
#pragma once

#include <memory>
#include <string>

namespace once::application {

class id_generator {
 public:
  virtual ~id_generator() = default;
  [[nodiscard]] virtual std::string next() = 0;
};

/// Random version 4 UUIDs; thread-safe.
[[nodiscard]] std::unique_ptr<id_generator> make_uuid_generator();

}  // namespace once::application
