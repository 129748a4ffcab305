/// \file
/// Deletes expired intent records in small batches, each its own short
/// transaction, skipping rows that other purgers or live claims hold; safe to
/// run from cron on several hosts at once and while writers keep going.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <once/application/error.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::postgres {

struct purge_options {
  int batch_size = 1000;
  std::optional<int> max_batches;      // stop after this many batches (none: until nothing is left)
  std::chrono::milliseconds pause{0};  // between batches, to leave room for writers
};

struct purge_report {
  std::int64_t deleted = 0;
  int batches = 0;
};

/// progress(batch number, deleted in that batch, deleted so far) after each batch.
using purge_progress = std::function<void(int, int, std::int64_t)>;

[[nodiscard]] application::result<purge_report> purge_expired_intents(pg_options const& options,
                                                                      purge_options const& purge,
                                                                      purge_progress const& progress = {});

/// Deletes outbox rows published more than `kept` ago, the same way; rows not
/// yet published are never touched.
[[nodiscard]] application::result<purge_report> purge_published_outbox(pg_options const& options,
                                                                       purge_options const& purge,
                                                                       std::chrono::seconds kept,
                                                                       purge_progress const& progress = {});

}  // namespace once::postgres
