/// \file
/// Topics a service publishes to, created when missing (Kafka's admin API).
#pragma once

#include <chrono>
#include <string>

#include <once/application/error.hpp>

namespace once::kafka {

/// Creates `topic` with `partitions` partitions unless it exists; an error
/// (unavailable) when the brokers did not answer within `timeout`.
[[nodiscard]] application::result<void> ensure_topic(std::string const& brokers, std::string const& topic,
                                                     int partitions,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds{10});

}  // namespace once::kafka
