// once-admin: operations on a once database.
//   once-admin purge --database-url URL [--schema NAME] [--batch-size N] [--max-batches N] [--pause-ms N]
//                    [--outbox-kept-hours H]
// purge deletes expired intent records, then outbox rows published more than
// H hours ago (default 168), in small batches, and reports progress; several
// purgers may run at once (cron on many hosts). Unpublished rows stay.
#include <chrono>
#include <cstdio>

#include <CLI/CLI.hpp>

#include <once/postgres/retention.hpp>

int main(int argc, char** argv) {
  CLI::App app{"Operate a once database"};
  app.require_subcommand(1);

  once::postgres::pg_options options;
  once::postgres::purge_options purge;
  int max_batches = 0;
  int pause_ms = 0;
  auto* purge_command = app.add_subcommand("purge", "delete expired intent records in bounded batches");
  purge_command->add_option("--database-url", options.database_url, "libpq connection URI or key=value string")
      ->required();
  purge_command->add_option("--schema", options.schema, "schema that holds the framework's tables")
      ->capture_default_str();
  purge_command->add_option("--batch-size", purge.batch_size, "records per batch (one short transaction each)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  purge_command->add_option("--max-batches", max_batches, "stop after this many batches (0: until done)")
      ->check(CLI::NonNegativeNumber);
  purge_command->add_option("--pause-ms", pause_ms, "pause between batches")->check(CLI::NonNegativeNumber);
  int outbox_kept_hours = 168;
  purge_command->add_option("--outbox-kept-hours", outbox_kept_hours, "keep published outbox rows this long")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (max_batches > 0) purge.max_batches = max_batches;
  purge.pause = std::chrono::milliseconds{pause_ms};
  auto const report =
      once::postgres::purge_expired_intents(options, purge, [](int batch, int deleted, std::int64_t total) {
        std::printf("once-admin purge: batch %d deleted %d (total %lld)\n", batch, deleted,
                    static_cast<long long>(total));
        std::fflush(stdout);
      });
  if (!report) {
    std::fprintf(stderr, "once-admin purge: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("once-admin purge: done, %lld expired intent records deleted in %d batches\n",
              static_cast<long long>(report->deleted), report->batches);
  auto const outbox = once::postgres::purge_published_outbox(
      options, purge, std::chrono::hours{outbox_kept_hours}, [](int batch, int deleted, std::int64_t total) {
        std::printf("once-admin purge: outbox batch %d deleted %d (total %lld)\n", batch, deleted,
                    static_cast<long long>(total));
        std::fflush(stdout);
      });
  if (!outbox) {
    std::fprintf(stderr, "once-admin purge: %s\n", outbox.error().message.c_str());
    return 1;
  }
  std::printf("once-admin purge: done, %lld published outbox rows deleted in %d batches\n",
              static_cast<long long>(outbox->deleted), outbox->batches);
  return 0;
}
