// once-admin: operations on a once database.
//   once-admin purge --database-url URL [--schema NAME] [--batch-size N] [--max-batches N] [--pause-ms N]
//                    [--outbox-kept-hours H]
//   once-admin exceptions list --database-url URL [--schema NAME] [--tenant T] [--open]
//   once-admin exceptions show ID --database-url URL [--schema NAME]
//   once-admin exceptions resolve ID --note TEXT --database-url URL [--schema NAME]
//   once-admin reconcile --database-url URL [--schema NAME] --job NAME --from T --to T [--margin-s 300]
// purge deletes expired intent records, then outbox rows published more than
// H hours ago (default 168), in small batches, and reports progress; several
// purgers may run at once (cron on many hosts). Unpublished rows stay.
// reconcile runs a registered job over [from, to) (ISO 8601 UTC): our intents
// against the other system's listing (HTTP GET, JSON array), a progress bar
// on a terminal, a summary at the end; what does not match goes to the
// exception queue (docs/external-calls.md). Exit 0 when it ran, 1 when it
// could not, 2 for wrong flags.
// exceptions lists, shows and resolves the exception queue
// (docs/external-calls.md); show prints the entry as JSON; a missing entry
// exits 1.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <once/application/reconciliation.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/postgres/reconciliation_jobs.hpp>
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

// "2026-11-30T10:00:00Z", with or without fractional seconds; nullopt when it is not that.
std::optional<std::chrono::system_clock::time_point> parse_utc(std::string const& text) {
  std::tm utc{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                  &utc.tm_min, &utc.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  auto at = std::chrono::system_clock::from_time_t(timegm(&utc));
  std::string rest = text.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    std::size_t digits = 1;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])) != 0) ++digits;
    auto fraction = rest.substr(1, std::min<std::size_t>(digits - 1, 6));
    fraction.resize(6, '0');
    at += std::chrono::microseconds{std::stoll(fraction)};
    rest = rest.substr(digits);
  }
  if (rest != "Z") return std::nullopt;
  return at;
}

std::string iso_micro(std::chrono::system_clock::time_point at) {
  auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count() % 1000000;
  auto text = iso_utc(at);
  text.pop_back();
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lldZ", static_cast<long long>(micros));
  return text + fraction;
}

// GET of an http:// URL within `timeout`: the body of a 200, or the sentence why not.
once::application::result<std::string> http_get(std::string const& url, std::chrono::seconds timeout) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  using once::application::error_code;
  using once::application::fail;
  std::string const scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return fail(error_code::invalid_argument, "the listing URL is not http://");
  auto const slash = url.find('/', scheme.size());
  auto const authority =
      url.substr(scheme.size(), slash == std::string::npos ? std::string::npos : slash - scheme.size());
  auto const target = slash == std::string::npos ? std::string{"/"} : url.substr(slash);
  auto const colon = authority.rfind(':');
  auto const host = authority.substr(0, colon);
  auto const port = colon == std::string::npos ? std::string{"80"} : authority.substr(colon + 1);
  try {
    asio::io_context io;
    beast::tcp_stream stream{io};
    stream.expires_after(timeout);
    stream.connect(asio::ip::tcp::resolver{io}.resolve(host, port));
    beast::http::request<beast::http::empty_body> request{beast::http::verb::get, target, 11};
    request.set(beast::http::field::host, authority);
    beast::http::write(stream, request);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> response;
    beast::http::read(stream, buffer, response);
    if (response.result_int() != 200) {
      return fail(error_code::unavailable, "the listing answered " + std::to_string(response.result_int()));
    }
    return response.body();
  } catch (std::exception const& failure) {
    return fail(error_code::unavailable, std::string{"the listing could not be read: "} + failure.what());
  }
}

std::string replaced(std::string text, std::string const& what, std::string const& with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size())) {
    text.replace(at, what.size(), with);
  }
  return text;
}

// Our side from the database, theirs from the job's listing.
class job_sides final : public once::application::reconciler {
 public:
  job_sides(once::postgres::reconciliation_jobs& jobs, once::postgres::reconciliation_job job)
      : jobs_(&jobs), job_(std::move(job)) {}

  once::application::result<std::vector<once::application::reconciled_record>> ours(
      once::application::reconciliation_window const& window) override {
    return jobs_->ours(job_, window);
  }
  once::application::result<std::vector<once::application::reconciled_record>> theirs(
      once::application::reconciliation_window const& window) override {
    using once::application::error_code;
    using once::application::fail;
    auto const url =
        replaced(replaced(job_.listing_url, "{from}", iso_micro(window.from)), "{to}", iso_micro(window.to));
    auto body = http_get(url, std::chrono::seconds{30});
    if (!body) return once::domain::unexpected{std::move(body).error()};
    auto const listing = nlohmann::json::parse(*body, nullptr, false);
    if (listing.is_discarded() || !listing.is_array())
      return fail(error_code::internal, "the listing is not a JSON array");
    auto const fields = nlohmann::json::parse(job_.fields, nullptr, false);
    auto const mapping =
        fields.is_object() ? fields.value("theirs", nlohmann::json::object()) : nlohmann::json::object();
    auto const path = [&](char const* name, char const* otherwise) {
      return mapping.value(name, std::string{otherwise});
    };
    std::vector<once::application::reconciled_record> records;
    for (auto const& item : listing) {
      auto const text = item.dump();
      once::application::reconciled_record record;
      record.reference = once::postgres::text_at(text, path("reference", "reference")).value_or("");
      auto const amount = once::postgres::text_at(text, path("amount", "amount"));
      record.amount = amount.has_value() ? std::stoll(*amount) : 0;
      record.account = once::postgres::text_at(text, path("account", "account")).value_or("");
      record.id = once::postgres::text_at(text, path("id", "id")).value_or("");
      auto const at = parse_utc(once::postgres::text_at(text, path("at", "at")).value_or(""));
      if (!at.has_value() || record.reference.empty()) {
        return fail(error_code::internal, "a listing record without a reference or a time: " + record.id);
      }
      record.at = *at;
      if (record.at >= window.from && record.at < window.to) records.push_back(std::move(record));
    }
    return records;
  }

 private:
  once::postgres::reconciliation_jobs* jobs_;
  once::postgres::reconciliation_job job_;
};

// A bar on a terminal; nothing when the output is a file or a pipe.
void show_progress(std::string const& stage, std::size_t done, std::size_t total) {
  if (isatty(STDOUT_FILENO) == 0) return;
  int const width = 30;
  int const filled = total == 0 ? width : static_cast<int>(width * done / total);
  std::printf("\r[%s%s] %zu/%zu %-28s", std::string(static_cast<std::size_t>(filled), '#').c_str(),
              std::string(static_cast<std::size_t>(width - filled), ' ').c_str(), done, total, stage.c_str());
  std::fflush(stdout);
}

int run_reconcile(once::postgres::pg_options const& options, std::string const& job_name, std::string const& from,
                  std::string const& to, int margin_s) {
  auto const refuse = [](int code, std::string const& why) {
    std::fprintf(stderr, "once-admin reconcile: %s\n", why.c_str());
    return code;
  };
  auto const window_from = parse_utc(from);
  auto const window_to = parse_utc(to);
  if (!window_from || !window_to)
    return refuse(2, "--from and --to take ISO 8601 UTC times such as 2026-11-30T00:00:00Z");
  if (*window_to <= *window_from) return refuse(2, "--to must be after --from");
  auto jobs = once::postgres::reconciliation_jobs::open(options);
  if (!jobs) return refuse(2, jobs.error().message);
  auto job = (*jobs)->find(job_name);
  if (!job) return refuse(1, job.error().message);
  if (!job->has_value()) return refuse(1, "no job " + job_name + " is registered");
  auto store = once::postgres::pg_command_store::open(options);
  if (!store) return refuse(1, store.error().message);
  job_sides sides{**jobs, **job};
  once::application::reconciliation_window const window{*window_from, *window_to};
  show_progress("reading both sides", 0, 1);
  auto report = once::application::reconcile(
      sides, **store, window, std::chrono::seconds{margin_s},
      [](std::size_t done, std::size_t total) { show_progress("queueing exceptions", done, total); });
  if (isatty(STDOUT_FILENO) != 0) std::printf("\n");
  if (!report) return refuse(1, report.error().message);
  if (auto recorded = (*jobs)->record_run(job_name, window, *report); !recorded)
    return refuse(1, recorded.error().message);
  std::printf("once-admin reconcile: job %s, %s to %s\n", job_name.c_str(), from.c_str(), to.c_str());
  for (std::size_t kind = 0; kind < once::application::reconciliation_kinds; ++kind) {
    std::printf(
        "  %-16s %lld\n",
        std::string{once::application::to_string(static_cast<once::application::reconciliation_kind>(kind))}.c_str(),
        static_cast<long long>(report->counts[kind]));
  }
  std::printf("  %zu exception(s) queued or seen again\n", report->exceptions.size());
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
  std::string job_name;
  std::string window_from;
  std::string window_to;
  int margin_s = 300;
  auto* reconcile_command = app.add_subcommand("reconcile", "compare our intents with the other system's listing");
  reconcile_command
      ->add_option("--database-url", exception_options.database_url, "libpq connection URI or key=value string")
      ->required();
  reconcile_command->add_option("--schema", exception_options.schema, "schema that holds the framework's tables")
      ->capture_default_str();
  reconcile_command->add_option("--job", job_name, "a registered job")->required();
  reconcile_command->add_option("--from", window_from, "start of the window, ISO 8601 UTC")->required();
  reconcile_command->add_option("--to", window_to, "end of the window (excluded), ISO 8601 UTC")->required();
  reconcile_command->add_option("--margin-s", margin_s, "seconds read beyond the window on both sides, for matching")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  reconcile_command->callback([&action] { action = "reconcile"; });

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

  if (action == "reconcile") return run_reconcile(exception_options, job_name, window_from, window_to, margin_s);
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
