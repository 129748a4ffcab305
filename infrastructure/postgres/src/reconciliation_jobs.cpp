#include <once/postgres/reconciliation_jobs.hpp>

#include <exception>
#include <utility>

#include <nlohmann/json.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/row>

#include <once/postgres/pg_command_store.hpp>

#include "pg_errors.hpp"
#include "sql_text.hpp"

namespace once::postgres {

using application::error_code;
using application::fail;
using application::result;

namespace {

std::optional<nlohmann::json> value_at(nlohmann::json const& document, std::string const& path) {
  nlohmann::json const* at = &document;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto const dot = path.find('.', start);
    auto const name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(name)) return std::nullopt;
    at = &(*at)[name];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *at;
}

std::optional<std::string> as_text(std::optional<nlohmann::json> const& value) {
  if (!value.has_value()) return std::nullopt;
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_integer()) return std::to_string(value->get<std::int64_t>());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> text_at(std::string const& json, std::string const& path) {
  auto const document = nlohmann::json::parse(json, nullptr, false);
  if (document.is_discarded()) return std::nullopt;
  return as_text(value_at(document, path));
}

struct reconciliation_jobs::state {
  pg_options options;

  // One statement on a connection of its own: the admin tool and the metrics run few of them.
  template <class Build>
  result<pqxx::result> run(Build const& build) {
    try {
      pqxx::connection connection{options.database_url};
      pqxx::nontransaction statement{connection};
      return statement.exec(build(connection));
    } catch (std::exception const& failure) {
      return domain::unexpected{detail::translate(failure, detail::phase::before_commit)};
    }
  }
};

reconciliation_jobs::reconciliation_jobs(pg_options options) : state_(std::make_unique<state>()) {
  state_->options = std::move(options);
}
reconciliation_jobs::~reconciliation_jobs() = default;

result<std::unique_ptr<reconciliation_jobs>> reconciliation_jobs::open(pg_options options) {
  if (!is_valid_schema_name(options.schema)) return fail(error_code::invalid_argument, "invalid schema name");
  if (options.database_url.empty()) return fail(error_code::invalid_argument, "no database URL given");
  return std::unique_ptr<reconciliation_jobs>{new reconciliation_jobs(std::move(options))};
}

result<void> reconciliation_jobs::register_job(reconciliation_job const& job) {
  if (nlohmann::json::parse(job.fields, nullptr, false).is_discarded()) {
    return fail(error_code::invalid_argument, "the job's fields are not JSON");
  }
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    return "INSERT INTO " + schema + ".once_reconciliation_jobs (name, command_type, listing_url, fields) VALUES (" +
           detail::literal(c, job.name) + ',' + detail::literal(c, job.command_type) + ',' +
           detail::literal(c, job.listing_url) + ',' + detail::literal(c, job.fields) +
           ") ON CONFLICT (name) DO UPDATE SET command_type = excluded.command_type, listing_url = "
           "excluded.listing_url, fields = excluded.fields, registered_at = now()";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

result<std::optional<reconciliation_job>> reconciliation_jobs::find(std::string const& name) {
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    return "SELECT name, command_type, listing_url, fields::text FROM " + schema +
           ".once_reconciliation_jobs WHERE name = " + detail::literal(c, name);
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty()) return std::optional<reconciliation_job>{};
  auto const row = rows->at(0);
  return std::optional{reconciliation_job{row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].c_str()}};
}

result<std::vector<application::reconciled_record>> reconciliation_jobs::ours(
    reconciliation_job const& job, application::reconciliation_window const& window) {
  auto const fields = nlohmann::json::parse(job.fields, nullptr, false);
  if (fields.is_discarded() || !fields.contains("ours")) return fail(error_code::invalid_argument, "job fields");
  auto const& mapping = fields["ours"];
  auto const path = [&](char const* name) { return mapping.value(name, std::string{}); };
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    return "SELECT s.tenant, s.scope, s.key, s.reference, s.command::text, i.status, i.result::text, " + schema +
           ".once_epoch_us(s.created_at) FROM " + schema + ".once_external_steps s JOIN " + schema +
           ".once_intents i USING (tenant, scope, key) WHERE s.command_type = " + detail::literal(c, job.command_type) +
           " AND s.created_at >= '" + detail::iso_utc(window.from) + "' AND s.created_at < '" +
           detail::iso_utc(window.to) + "' ORDER BY s.created_at";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  std::vector<application::reconciled_record> records;
  for (auto const& row : *rows) {
    std::string const status = row[5].c_str();
    if (status == "rejected") continue;  // refused: nothing is expected on their side
    if (status == "applied" && mapping.contains("done")) {
      auto const& done = mapping["done"];
      auto const value = text_at(row[6].c_str(), done.value("path", std::string{}));
      if (value != done.value("equals", std::string{})) continue;  // concluded otherwise (under review)
    }
    application::reconciled_record record;
    record.intent = domain::intent_key{row[0].c_str(), row[1].c_str(), row[2].c_str()};
    record.reference = row[3].c_str();
    auto const amount = text_at(row[4].c_str(), path("amount"));
    record.amount = amount.has_value() ? std::stoll(*amount) : 0;
    record.account = text_at(row[4].c_str(), path("account")).value_or("");
    record.settled = status == "applied";
    record.at = detail::from_epoch_us(row[7].as<std::int64_t>());
    records.push_back(std::move(record));
  }
  return records;
}

result<void> reconciliation_jobs::record_run(std::string const& job, application::reconciliation_window const& window,
                                             application::reconciliation_report const& report) {
  using kind = application::reconciliation_kind;
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection& c) {
    return "INSERT INTO " + schema +
           ".once_reconciliation_runs (job, window_from, window_to, matched, missing_theirs, missing_ours, "
           "mismatched, unresolved) VALUES (" +
           detail::literal(c, job) + ",'" + detail::iso_utc(window.from) + "','" + detail::iso_utc(window.to) + "'," +
           std::to_string(report.count(kind::matched)) + ',' + std::to_string(report.count(kind::missing_theirs)) +
           ',' + std::to_string(report.count(kind::missing_ours)) + ',' +
           std::to_string(report.count(kind::mismatched)) + ',' + std::to_string(report.count(kind::unresolved)) + ')';
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

result<std::vector<reconciliation_run>> reconciliation_jobs::latest_runs() {
  auto const& schema = state_->options.schema;
  auto rows = state_->run([&](pqxx::connection&) {
    return "SELECT DISTINCT ON (job) job, matched, mismatched, missing_theirs, missing_ours, unresolved FROM " +
           schema + ".once_reconciliation_runs ORDER BY job, finished_at DESC, id DESC";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  std::vector<reconciliation_run> runs;
  for (auto const& row : *rows) {
    reconciliation_run run;
    run.job = row[0].c_str();
    for (std::size_t kind = 0; kind < application::reconciliation_kinds; ++kind) {
      run.report.counts[kind] = row[static_cast<int>(kind) + 1].as<std::int64_t>();
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

}  // namespace once::postgres
