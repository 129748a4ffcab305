// once-admin: operations on a once database.
//   once-admin purge --database-url URL [--schema NAME] [--batch-size N] [--max-batches N] [--pause-ms N]
//                    [--outbox-kept-hours H]
//   once-admin exceptions list --database-url URL [--schema NAME] [--tenant T] [--open]
//   once-admin exceptions show ID --database-url URL [--schema NAME]
//   once-admin exceptions resolve ID --note TEXT --database-url URL [--schema NAME]
// purge deletes expired intent records, then outbox rows published more than
// H hours ago (default 168), in small batches, and reports progress; several
// purgers may run at once (cron on many hosts). Unpublished rows stay.
// exceptions lists, shows and resolves the exception queue
// (docs/external-calls.md); show prints the entry as JSON; a missing entry
// exits 1.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <once/postgres/pg_command_store.hpp>
#include <once/postgres/retention.hpp>

namespace {

std::string iso_utc(std::chrono::system_clock::time_point at) {
  auto const seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

nlohmann::json entry_json(once::application::queued_exception const& entry) {
  auto evidence = nlohmann::json::parse(entry.evidence, nullptr, false);
  nlohmann::json body{{"id", entry.id},
                      {"tenant", entry.tenant},
                      {"reason", entry.reason},
                      {"subject", entry.subject},
                      {"evidence", evidence.is_discarded() ? nlohmann::json::object() : evidence},
                      {"status", entry.status},
                      {"note", nullptr},
                      {"first_seen", iso_utc(entry.first_seen)},
                      {"last_seen", iso_utc(entry.last_seen)}};
  if (!entry.note.empty()) body["note"] = entry.note;
  if (entry.intent.has_value()) body["intent"] = {{"scope", entry.intent->scope}, {"key", entry.intent->key}};
  return body;
}

// The store on the given database, or the sentence why not (exit 1).
std::unique_ptr<once::postgres::pg_command_store> open_store(once::postgres::pg_options const& options) {
  auto opened = once::postgres::pg_command_store::open(options);
  if (!opened) {
    std::fprintf(stderr, "once-admin exceptions: %s\n", opened.error().message.c_str());
    return nullptr;
  }
  return std::move(*opened);
}

std::optional<once::application::queued_exception> find_entry(once::postgres::pg_command_store& store, std::int64_t id,
                                                              int& exit_code) {
  auto all = store.exceptions(std::nullopt, false);
  if (!all) {
    std::fprintf(stderr, "once-admin exceptions: %s\n", all.error().message.c_str());
    exit_code = 1;
    return std::nullopt;
  }
  for (auto const& entry : *all) {
    if (entry.id == id) return entry;
  }
  std::fprintf(stderr, "once-admin exceptions: no exception %lld\n", static_cast<long long>(id));
  exit_code = 1;
  return std::nullopt;
}

int run_exceptions(std::string const& action, once::postgres::pg_options const& options,
                   std::optional<std::string> const& tenant, bool open_only, std::int64_t id, std::string const& note) {
  auto store = open_store(options);
  if (!store) return 1;
  int exit_code = 0;
  if (action == "list") {
    auto found = store->exceptions(tenant, open_only);
    if (!found) {
      std::fprintf(stderr, "once-admin exceptions: %s\n", found.error().message.c_str());
      return 1;
    }
    std::printf("%-8s %-10s %-16s %-20s %-20s %s\n", "ID", "STATUS", "REASON", "TENANT", "FIRST SEEN", "SUBJECT");
    for (auto const& entry : *found) {
      std::printf("%-8lld %-10s %-16s %-20s %-20s %s\n", static_cast<long long>(entry.id), entry.status.c_str(),
                  entry.reason.c_str(), entry.tenant.c_str(), iso_utc(entry.first_seen).c_str(), entry.subject.c_str());
    }
    std::printf("%zu exception(s)\n", found->size());
    return 0;
  }
  if (action == "show") {
    auto const entry = find_entry(*store, id, exit_code);
    if (!entry) return exit_code;
    std::printf("%s\n", entry_json(*entry).dump(2).c_str());
    return 0;
  }
  auto resolved = store->resolve_exception(id, std::nullopt, note);
  if (!resolved) {
    std::fprintf(stderr, "once-admin exceptions: %s\n", resolved.error().message.c_str());
    return 1;
  }
  if (!resolved->has_value()) {
    std::fprintf(stderr, "once-admin exceptions: no exception %lld\n", static_cast<long long>(id));
    return 1;
  }
  std::printf("%s\n", entry_json(**resolved).dump(2).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Operate a once database"};
  app.require_subcommand(1);

  once::postgres::pg_options exception_options;
  std::string tenant;
  bool open_only = false;
  std::int64_t exception_id = 0;
  std::string note;
  std::string action;
  auto* exceptions_command = app.add_subcommand("exceptions", "list, show and resolve the exception queue");
  exceptions_command->require_subcommand(1);
  auto const add_database = [&exception_options](CLI::App* command) {
    command->add_option("--database-url", exception_options.database_url, "libpq connection URI or key=value string")
        ->required();
    command->add_option("--schema", exception_options.schema, "schema that holds the framework's tables")
        ->capture_default_str();
  };
  auto* list_command = exceptions_command->add_subcommand("list", "the queue, oldest first");
  add_database(list_command);
  list_command->add_option("--tenant", tenant, "one tenant's entries only");
  list_command->add_flag("--open", open_only, "open entries only");
  list_command->callback([&action] { action = "list"; });
  auto* show_command = exceptions_command->add_subcommand("show", "one entry, as JSON");
  add_database(show_command);
  show_command->add_option("id", exception_id, "the entry's id")->required();
  show_command->callback([&action] { action = "show"; });
  auto* resolve_command = exceptions_command->add_subcommand("resolve", "resolve one entry with a note");
  add_database(resolve_command);
  resolve_command->add_option("id", exception_id, "the entry's id")->required();
  resolve_command->add_option("--note", note, "what was done about it")->required()->check([](std::string const& text) {
    return text.empty() || text.size() > 1000 ? std::string{"the note is 1-1000 characters"} : std::string{};
  });
  resolve_command->callback([&action] { action = "resolve"; });

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

  if (!action.empty()) {
    return run_exceptions(action, exception_options, tenant.empty() ? std::nullopt : std::optional{tenant}, open_only,
                          exception_id, note);
  }
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
