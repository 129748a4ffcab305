/// \file
/// Applies the framework's numbered migrations (sql/NNNN_*.sql, compiled into
/// the library) to one schema. Safe to run twice and concurrently: a
/// transaction-scoped advisory lock serialises migrators, and everything
/// pending is applied in one transaction. Refuses (failed_precondition) a
/// database whose schema is newer than this build knows.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include <once/application/error.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::postgres {

struct migration {
  int version;
  std::string_view name;
  std::string_view sql;  // with ${schema} placeholders
};

/// The migrations this build carries, in order.
[[nodiscard]] std::span<migration const> known_migrations() noexcept;

struct migration_report {
  int version_before = 0;
  int version_after = 0;
  std::vector<int> applied;
};

[[nodiscard]] application::result<migration_report> migrate(pg_options const& options);

}  // namespace once::postgres
