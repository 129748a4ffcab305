/// \file
/// A fresh schema, migrated, for one PostgreSQL test; dropped afterwards.
/// The server is the one in DATABASE_URL (the project's scripts/test starts a
/// throwaway cluster and sets it); a test that needs one and finds no
/// DATABASE_URL fails instead of passing without a database.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::testing {

inline std::string database_url() {
  char const* url = std::getenv("DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "DATABASE_URL is not set: start a PostgreSQL (scripts/throwaway-postgres) and name it there");
  }
  return url;
}

class pg_schema {
 public:
  pg_schema() : url_(database_url()), name_(unique_name()) {
    once::postgres::pg_options options{url_, name_, 1};
    auto const migrated = once::postgres::migrate(options);
    if (!migrated) throw std::runtime_error("migrating " + name_ + " failed: " + migrated.error().message);
  }
  pg_schema(pg_schema const&) = delete;
  pg_schema& operator=(pg_schema const&) = delete;
  ~pg_schema() {
    try {
      pqxx::connection connection{url_};
      pqxx::nontransaction statement{connection};
      statement.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
      // A test that broke the server leaves its schema behind; the cluster is thrown away anyway.
    }
  }

  [[nodiscard]] once::postgres::pg_options options(std::size_t pool_size = 8,
                                                   std::string application_name = "once-test") const {
    once::postgres::pg_options options;
    options.database_url = url_;
    options.schema = name_;
    options.pool_size = pool_size;
    options.application_name = std::move(application_name);
    return options;
  }
  [[nodiscard]] std::string const& name() const noexcept { return name_; }
  [[nodiscard]] std::string const& url() const noexcept { return url_; }

  /// The first column of the first row of a query; "${schema}" stands for this schema.
  [[nodiscard]] std::int64_t scalar(std::string const& sql) const { return run(sql).at(0).at(0).as<std::int64_t>(); }
  /// The same, as text.
  [[nodiscard]] std::string text(std::string const& sql) const { return run(sql).at(0).at(0).c_str(); }
  /// Runs statements, for a test's set-up; "${schema}" as above.
  void exec(std::string const& sql) const { (void)run(sql); }

 private:
  pqxx::result run(std::string sql) const {
    for (auto at = sql.find("${schema}"); at != std::string::npos; at = sql.find("${schema}")) {
      sql.replace(at, 9, name_);
    }
    pqxx::connection connection{url_};
    pqxx::nontransaction statement{connection};
    return statement.exec(sql);
  }
  static std::string unique_name() {
    static std::atomic<int> counter{0};
    std::random_device entropy;
    // The process id too: ctest runs test processes side by side on one database.
    return "t_" + std::to_string(::getpid()) + "_" + std::to_string(entropy() % 1000000) + "_" +
           std::to_string(counter++);
  }

  std::string url_;
  std::string name_;
};

}  // namespace once::testing
