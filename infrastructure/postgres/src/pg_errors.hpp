// libpqxx exceptions translated into typed errors whose code says how to retry.
#pragma once

#include <exception>

#include <once/application/error.hpp>

namespace once::postgres::detail {

enum class phase {
  before_commit,  // nothing can have been committed: a lost connection is unavailable
  committing,     // the COMMIT may have happened: a lost connection is outcome_unknown
};

[[nodiscard]] application::error translate(std::exception const& failure, phase when);

// Whether the connection the failure happened on must be discarded.
[[nodiscard]] bool connection_is_lost(application::error const& error);

}  // namespace once::postgres::detail
