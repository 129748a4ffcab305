#include "pg_errors.hpp"

#include <string>
#include <string_view>

#include <pqxx/except>

namespace once::postgres::detail {

using application::error;
using application::error_code;

namespace {

// Connection exceptions (08), operator intervention such as
// pg_terminate_backend or a shutdown (57P0x), and "too many connections".
bool is_connection_state(std::string const& sqlstate) {
  return sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0 || sqlstate == "53300";
}

error lost(std::string message, std::string sqlstate, phase when) {
  return when == phase::committing
             ? error{error_code::outcome_unknown, "connection lost while committing: " + message, std::move(sqlstate)}
             : error{error_code::unavailable, "connection lost: " + message, std::move(sqlstate)};
}

// What the server's error says, without its words: PostgreSQL's message,
// DETAIL and CONTEXT quote the data (a JSON excerpt of a payment's
// description, a key), and errors end up in logs. The SQLSTATE says enough.
std::string without_server_text(std::string const& sqlstate) {
  std::string_view kind = "PostgreSQL refused the statement";
  if (sqlstate.rfind("22", 0) == 0) kind = "PostgreSQL refused the data";
  if (sqlstate.rfind("23", 0) == 0) kind = "PostgreSQL refused the data (integrity constraint)";
  if (sqlstate.rfind("40", 0) == 0) kind = "PostgreSQL rolled the transaction back";
  if (sqlstate.rfind("53", 0) == 0) kind = "PostgreSQL is out of resources";
  if (sqlstate.rfind("55", 0) == 0) kind = "PostgreSQL could not take a lock in time";
  if (sqlstate.rfind("57", 0) == 0) kind = "PostgreSQL cancelled the statement or is shutting down";
  if (sqlstate.rfind("08", 0) == 0) kind = "the PostgreSQL connection failed";
  if (sqlstate.rfind("42", 0) == 0 || sqlstate == "3F000")
    kind = "PostgreSQL does not know an object the statement names";
  return std::string{kind} + " (SQLSTATE " + sqlstate + ")";
}

}  // namespace

error translate(std::exception const& failure, phase when) {
  auto const* sql = dynamic_cast<pqxx::sql_error const*>(&failure);
  std::string const message =
      sql != nullptr && !sql->sqlstate().empty() ? without_server_text(sql->sqlstate()) : failure.what();
  if (dynamic_cast<pqxx::in_doubt_error const*>(&failure) != nullptr) {
    return error{error_code::outcome_unknown, message, {}};
  }
  if (dynamic_cast<pqxx::broken_connection const*>(&failure) != nullptr) return lost(message, "08006", when);
  if (dynamic_cast<pqxx::statement_completion_unknown const*>(&failure) != nullptr) {
    return error{when == phase::committing ? error_code::outcome_unknown : error_code::unavailable, message, "40003"};
  }
  if (dynamic_cast<pqxx::serialization_failure const*>(&failure) != nullptr) {
    return error{error_code::aborted, message, "40001"};
  }
  if (dynamic_cast<pqxx::deadlock_detected const*>(&failure) != nullptr) {
    return error{error_code::aborted, message, "40P01"};
  }
  if (dynamic_cast<pqxx::transaction_rollback const*>(&failure) != nullptr) {
    return error{error_code::aborted, message, "40000"};
  }
  if (sql != nullptr) {
    std::string const& state = sql->sqlstate();
    if (is_connection_state(state)) return lost(message, state, when);
    // By SQLSTATE too: the store's own statements throw pqxx::sql_error itself (src/libpq_statement.cpp).
    if (state == "40003") {
      return error{when == phase::committing ? error_code::outcome_unknown : error_code::unavailable, message, state};
    }
    if (state.rfind("40", 0) == 0) return error{error_code::aborted, message, state};  // serialization, deadlock
    if (state == "23505") return error{error_code::aborted, message, state};  // a concurrent twin won: retry sees it
    if (state == "55P03") return error{error_code::unavailable, message, state};           // lock wait past the bound
    if (state.rfind("53", 0) == 0) return error{error_code::unavailable, message, state};  // out of resources
    if (state == "42P01" || state == "42883" || state == "3F000") {
      return error{error_code::failed_precondition,
                   "the once schema is missing or outdated (run once-migrate): " + message, state};
    }
    return error{error_code::internal, message, state};
  }
  return error{error_code::internal, message, {}};
}

bool connection_is_lost(application::error const& failure) {
  return failure.code == error_code::outcome_unknown ||
         (failure.code == error_code::unavailable && is_connection_state(failure.store_code));
}

}  // namespace once::postgres::detail
