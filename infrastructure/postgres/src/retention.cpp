#include <once/postgres/retention.hpp>

#include <string>
#include <thread>

#include <pqxx/connection>
#include <pqxx/nontransaction>

#include "connection_pool.hpp"
#include "pg_errors.hpp"

namespace once::postgres {

using application::error_code;
using application::fail;

namespace {

// Runs `statement` (a batch, returning how many rows it deleted) until a batch is short.
application::result<purge_report> purge_in_batches(pg_options const& options, purge_options const& purge,
                                                   std::string const& statement, purge_progress const& progress) {
  purge_report report;
  try {
    pqxx::connection connection{detail::with_connection_parameters(options)};
    for (;;) {
      if (purge.max_batches.has_value() && report.batches >= *purge.max_batches) break;
      pqxx::nontransaction autocommit{connection};  // each batch is its own short transaction
      int const deleted = autocommit.exec(statement).at(0).at(0).as<int>();
      ++report.batches;
      report.deleted += deleted;
      if (progress) progress(report.batches, deleted, report.deleted);
      if (deleted < purge.batch_size) break;
      if (purge.pause.count() > 0) std::this_thread::sleep_for(purge.pause);
    }
    return report;
  } catch (std::exception const& failure) {
    return domain::unexpected{detail::translate(failure, detail::phase::before_commit)};
  }
}

application::result<void> check(pg_options const& options, purge_options const& purge) {
  if (!is_valid_schema_name(options.schema)) {
    return fail(error_code::invalid_argument, "schema name '" + options.schema + "' is not a plain identifier");
  }
  if (purge.batch_size <= 0) return fail(error_code::invalid_argument, "the batch size must be positive");
  return {};
}

}  // namespace

application::result<purge_report> purge_expired_intents(pg_options const& options, purge_options const& purge,
                                                        purge_progress const& progress) {
  if (auto checked = check(options, purge); !checked) return domain::unexpected{checked.error()};
  return purge_in_batches(
      options, purge,
      "SELECT " + options.schema + ".once_purge_expired_intents(" + std::to_string(purge.batch_size) + ")", progress);
}

application::result<purge_report> purge_published_outbox(pg_options const& options, purge_options const& purge,
                                                         std::chrono::seconds kept, purge_progress const& progress) {
  if (auto checked = check(options, purge); !checked) return domain::unexpected{checked.error()};
  return purge_in_batches(options, purge,
                          "SELECT " + options.schema + ".once_purge_published_outbox(" +
                              std::to_string(purge.batch_size) + ", " + std::to_string(kept.count()) + ")",
                          progress);
}

}  // namespace once::postgres
