/// \file
/// The outbox as the relay sees it: rows written with the state they came
/// from, read in the order they were written (per aggregate: in version
/// order), published, then marked. A port: PostgreSQL implements it, and the
/// relay (the Kafka adapter) drives it without knowing the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/records.hpp>

namespace once::application {

/// One unpublished row: its position in the outbox and the message it carries.
struct outbox_row {
  std::int64_t id = 0;  // orders the rows of one aggregate; not a cursor (transactions commit out of order)
  outbox_message message;
};

/// The right to publish a schema's outbox, held by one relay at a time.
struct relay_lease {
  std::string holder;      // the relay's own name (host and process)
  std::int64_t epoch = 0;  // changes whenever another relay took the lease
};

class outbox_source {
 public:
  virtual ~outbox_source() = default;

  /// Takes or renews the lease for `ttl`; nullopt when another relay holds it.
  [[nodiscard]] virtual result<std::optional<relay_lease>> take_lease(std::string const& holder,
                                                                      std::chrono::milliseconds ttl) = 0;
  /// Up to `limit` unpublished rows, oldest first (by id). Rows of a
  /// transaction that commits later appear in a later call, never skipped.
  [[nodiscard]] virtual result<std::vector<outbox_row>> unpublished(std::size_t limit) = 0;
  /// Marks the rows published in one transaction, if `lease` is still held;
  /// false when it was lost (then nothing is marked).
  [[nodiscard]] virtual result<bool> mark_published(relay_lease const& lease, std::span<std::int64_t const> ids) = 0;
  /// Waits up to `timeout` for rows to be written; returns early when told
  /// (a notification), or after the timeout when it cannot be told (polling).
  virtual void wait_for_rows(std::chrono::milliseconds timeout) = 0;
};

}  // namespace once::application
