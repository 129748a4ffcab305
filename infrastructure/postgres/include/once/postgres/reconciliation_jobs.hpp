/// \file
/// Reconciliation jobs on PostgreSQL (migration 0009): registered by the
/// service that owns the command type, run by `once-admin reconcile`.
///
/// A job's fields say where the compared values are, as dotted JSON paths:
///   {"ours":   {"amount": "amount.value", "account": "from_account",
///               "done": {"path": "status", "equals": "completed"}},
///    "theirs": {"reference": "reference", "amount": "amount_cents", "account": "from_account",
///               "id": "transfer_no", "at": "booked_at"}}
/// "ours" paths read the stored command (amount, account) and the intent's
/// result ("done": an applied intent whose result says otherwise — under
/// review — is left out); "theirs" paths read each record of the listing.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <once/application/reconciliation.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::postgres {

struct reconciliation_job {
  std::string name;
  std::string command_type;
  std::string listing_url;  // {from} and {to} become the bounds read, ISO 8601 UTC
  std::string fields;       // JSON, as above
};

/// The latest run of a job, for metrics.
struct reconciliation_run {
  std::string job;
  application::reconciliation_report report;
};

class reconciliation_jobs {
 public:
  [[nodiscard]] static application::result<std::unique_ptr<reconciliation_jobs>> open(pg_options options);
  ~reconciliation_jobs();
  reconciliation_jobs(reconciliation_jobs const&) = delete;
  reconciliation_jobs& operator=(reconciliation_jobs const&) = delete;

  /// Registers the job, or replaces the registration of that name.
  [[nodiscard]] application::result<void> register_job(reconciliation_job const& job);
  [[nodiscard]] application::result<std::optional<reconciliation_job>> find(std::string const& name);
  /// Our side: the job's intents claimed in [from, to), each with its amount, account and whether it is settled.
  [[nodiscard]] application::result<std::vector<application::reconciled_record>> ours(
      reconciliation_job const& job, application::reconciliation_window const& window);
  [[nodiscard]] application::result<void> record_run(std::string const& job,
                                                     application::reconciliation_window const& window,
                                                     application::reconciliation_report const& report);
  /// The latest run of every job.
  [[nodiscard]] application::result<std::vector<reconciliation_run>> latest_runs();

 private:
  explicit reconciliation_jobs(pg_options options);
  struct state;
  std::unique_ptr<state> state_;
};

/// The value at a dotted path of a JSON document, as text (numbers in
/// decimal); nullopt when the path is not there. Shared by both sides.
[[nodiscard]] std::optional<std::string> text_at(std::string const& json, std::string const& path);

}  // namespace once::postgres
