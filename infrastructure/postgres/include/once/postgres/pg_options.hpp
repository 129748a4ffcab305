// How to reach PostgreSQL. The schema holds the framework's tables (see
// sql/); every statement names it, so no session state (search_path) is
// needed and PgBouncer in transaction pooling mode works.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace once::postgres {

struct pg_options {
  std::string database_url;  // libpq URI or key=value string
  std::string schema = "public";
  std::size_t pool_size = 8;
  std::chrono::milliseconds acquire_timeout{5000};  // waiting for a free pooled connection
  std::string application_name = "once";
};

// Lower-case letters, digits and underscores, starting with a letter or an
// underscore, at most 63 bytes: safe to splice into SQL as an identifier.
[[nodiscard]] bool is_valid_schema_name(std::string_view name) noexcept;

}  // namespace once::postgres
