#include <once/postgres/migrator.hpp>

#include <string>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "connection_pool.hpp"
#include "migrations.hpp"
#include "pg_errors.hpp"

namespace once::postgres {

using application::error_code;
using application::fail;

std::span<migration const> known_migrations() noexcept {
  return detail::embedded_migrations();
}

namespace {

std::string with_schema(std::string_view sql, std::string const& schema) {
  static constexpr std::string_view placeholder = "${schema}";
  std::string out;
  out.reserve(sql.size());
  std::size_t from = 0;
  for (auto at = sql.find(placeholder); at != std::string_view::npos; at = sql.find(placeholder, from)) {
    out.append(sql.substr(from, at - from));
    out.append(schema);
    from = at + placeholder.size();
  }
  out.append(sql.substr(from));
  return out;
}

}  // namespace

application::result<migration_report> migrate(pg_options const& options) {
  if (!is_valid_schema_name(options.schema)) {
    return fail(error_code::invalid_argument, "schema name '" + options.schema + "' is not a plain identifier");
  }
  auto const migrations = known_migrations();
  int const newest_known = migrations.empty() ? 0 : migrations.back().version;
  try {
    pqxx::connection connection{detail::with_connection_parameters(options)};
    pqxx::work transaction{connection};
    // Migrators of one schema take turns; the lock ends with the transaction.
    transaction.exec("SELECT pg_advisory_xact_lock(hashtextextended(" +
                     transaction.quote("once.migrate." + options.schema) + ", 0))");
    migration_report report;
    auto const registered = transaction.exec(
        "SELECT to_regclass(" + transaction.quote(options.schema + ".once_schema_version") + ") IS NOT NULL");
    if (registered.at(0).at(0).as<bool>()) {
      report.version_before =
          transaction.exec("SELECT coalesce(max(version), 0) FROM " + options.schema + ".once_schema_version")
              .at(0)
              .at(0)
              .as<int>();
    }
    if (report.version_before > newest_known) {
      return fail(error_code::failed_precondition,
                  "schema " + options.schema + " is at version " + std::to_string(report.version_before) +
                      ", newer than this build knows (" + std::to_string(newest_known) + "); upgrade once first");
    }
    for (auto const& step : migrations) {
      if (step.version <= report.version_before) continue;
      transaction.exec(with_schema(step.sql, options.schema));
      transaction.exec("INSERT INTO " + options.schema + ".once_schema_version (version, name) VALUES (" +
                       std::to_string(step.version) + ", " + transaction.quote(std::string{step.name}) + ")");
      report.applied.push_back(step.version);
    }
    transaction.commit();
    report.version_after = report.applied.empty() ? report.version_before : report.applied.back();
    return report;
  } catch (std::exception const& failure) {
    return domain::unexpected{detail::translate(failure, detail::phase::before_commit)};
  }
}

}  // namespace once::postgres
