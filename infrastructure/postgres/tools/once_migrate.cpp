// once-migrate: applies the framework's pending migrations to a database.
//   once-migrate --database-url URL [--schema NAME]
// Exit status: 0 done (or nothing to do), 3 the database is newer than this
// build, 1 any other failure, 2 bad arguments.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include <once/postgres/migrator.hpp>

int main(int argc, char** argv) {
  CLI::App app{"Apply the once framework's pending PostgreSQL migrations"};
  once::postgres::pg_options options;
  app.add_option("--database-url", options.database_url, "libpq connection URI or key=value string")->required();
  app.add_option("--schema", options.schema, "schema that holds the framework's tables")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto const report = once::postgres::migrate(options);
  if (!report) {
    std::fprintf(stderr, "once-migrate: %s\n", report.error().message.c_str());
    return report.error().code == once::application::error_code::failed_precondition ? 3 : 1;
  }
  if (report->applied.empty()) {
    std::printf("once-migrate: schema %s is up to date at version %d\n", options.schema.c_str(), report->version_after);
  } else {
    std::string applied;
    for (int version : report->applied) applied += (applied.empty() ? "" : ", ") + std::to_string(version);
    std::printf("once-migrate: schema %s migrated from version %d to %d (applied %s)\n", options.schema.c_str(),
                report->version_before, report->version_after, applied.c_str());
  }
  return 0;
}
