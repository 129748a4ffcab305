/// \file
/// The outbox port on PostgreSQL, for one relay: rows oldest first, the lease
/// in once_relay_lease (0005), marks in one statement that checks the lease.
/// No session state on the statement path, so it works behind PgBouncer in
/// transaction pooling mode; a second, direct connection LISTENs for new rows
/// when it can (behind a pooler LISTEN is refused or lost, and the relay polls).
/// Not thread-safe: one relay thread uses it.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <once/application/outbox.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::postgres {

class pg_outbox final : public application::outbox_source {
 public:
  /// Checks the options; connections are opened on first use.
  [[nodiscard]] static application::result<std::unique_ptr<pg_outbox>> open(pg_options options);
  ~pg_outbox() override;
  pg_outbox(pg_outbox const&) = delete;
  pg_outbox& operator=(pg_outbox const&) = delete;

  [[nodiscard]] application::result<std::optional<application::relay_lease>> take_lease(
      std::string const& holder, std::chrono::milliseconds ttl) override;
  [[nodiscard]] application::result<std::vector<application::outbox_row>> unpublished(std::size_t limit) override;
  [[nodiscard]] application::result<bool> mark_published(application::relay_lease const& lease,
                                                         std::span<std::int64_t const> ids) override;
  void wait_for_rows(std::chrono::milliseconds timeout) override;

  /// Unpublished rows and the age of the oldest, for the relay's metrics.
  struct backlog {
    std::int64_t rows = 0;
    double oldest_seconds = 0;
  };
  [[nodiscard]] application::result<backlog> measure_backlog();

 private:
  explicit pg_outbox(pg_options options);
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace once::postgres
