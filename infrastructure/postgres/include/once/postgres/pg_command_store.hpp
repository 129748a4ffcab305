/// \file
/// The PostgreSQL command store: aggregate state, intent record and outbox in
/// one transaction, over a pool of libpqxx connections.
///
/// A new intent decided on a remembered aggregate: "SELECT ... FROM
/// once_commit_decided(...)" commits it, or answers a repeat, a twin in
/// flight, or the aggregate as it is when its version moved, in one round trip
/// (sql/0011_commit_decided.sql). With pg_options::shared_commit_statements,
/// such statements of commands decided at the same moment go together as one
/// script, one transaction, each with its own answer.
///
/// A claim, optimistic: "SELECT * FROM once_look(...)" answers a repeat
/// (one round trip) or returns the aggregate; after the decision,
/// "SELECT once_commit(...)" writes state, intent record and outbox in one
/// autocommit statement that takes the locks and checks that no twin
/// committed and the aggregate did not move (otherwise aborted: the
/// dispatcher retries). Retries serialise: "BEGIN; SELECT * FROM
/// once_claim(...)" holds the intent and aggregate locks while deciding, then
/// "SELECT once_commit(...); COMMIT". The functions live in
/// sql/0002_command_functions.sql; docs/postgres.md has the diagram.
///
/// Bounds: every statement has a client-side deadline (statement_timeout
/// beyond the lock waits it is allowed), a serialising claim's transaction is
/// ended by the server after claim_timeout idle, connections open within
/// connect_timeout and carry TCP keepalives (pg_options).
///
/// Errors: a lost connection while committing is outcome_unknown (look the
/// intent up, or retry with the same intent: both are safe); serialization
/// failures, deadlocks, version and unique conflicts are aborted; a lock wait
/// past the bound or an unreachable server is unavailable. Every error
/// carries the SQLSTATE when the server gave one. Thread-safe.
#pragma once

#include <chrono>
#include <memory>

#include <once/application/command_store.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/inbox.hpp>
#include <once/postgres/pg_options.hpp>

namespace once::postgres {

class pg_command_store final : public application::command_store,
                               public application::inbox_store,
                               public application::external_step_store {
 public:
  /// Checks the options; connections are opened on first use.
  [[nodiscard]] static application::result<std::unique_ptr<pg_command_store>> open(pg_options options);
  ~pg_command_store() override;
  pg_command_store(pg_command_store const&) = delete;
  pg_command_store& operator=(pg_command_store const&) = delete;

  [[nodiscard]] application::result<application::claim_result> claim(application::intent_claim const& claim,
                                                                     application::claim_waits const& waits) override;
  [[nodiscard]] application::result<std::optional<application::stored_aggregate>> read(
      application::aggregate_ref const& ref) override;
  [[nodiscard]] application::result<std::optional<std::string>> read_entity(application::aggregate_ref const& ref,
                                                                            std::string_view collection,
                                                                            std::string const& id) override;
  [[nodiscard]] application::result<std::optional<application::intent_record>> find(
      domain::intent_key const& intent) override;
  /// One autocommit statement (once_commit_decided); a lost connection is retried once on a fresh one.
  [[nodiscard]] application::result<application::decided_commit> commit_decided(
      application::intent_claim const& claim, application::command_effects effects,
      application::claim_waits const& waits) override;

  /// The inbox (once_inbox, once_inbox_exceptions): receipts are also written by commit, with the effects.
  [[nodiscard]] application::result<bool> has_received(domain::message_receipt const& receipt) override;
  [[nodiscard]] application::result<void> record_receipt(domain::message_receipt const& receipt) override;
  [[nodiscard]] application::result<void> record_dead_letter(application::dead_letter const& letter) override;

  /// External steps (once_external_steps, once_exceptions): a step is started by commit, with the pending intent.
  [[nodiscard]] application::result<bool> conclude(application::step_conclusion const& conclusion) override;
  [[nodiscard]] application::result<std::vector<application::step_record>> take_over(std::string const& holder,
                                                                                     application::time_point now,
                                                                                     std::chrono::milliseconds lease,
                                                                                     std::size_t limit) override;
  [[nodiscard]] application::result<bool> prepare_call(domain::intent_key const& intent, std::int64_t attempt,
                                                       application::time_point lease_until) override;
  [[nodiscard]] application::result<void> defer(domain::intent_key const& intent, std::int64_t attempt,
                                                application::time_point next_check_at) override;
  [[nodiscard]] application::result<std::optional<application::step_record>> find_step(
      domain::intent_key const& intent) override;
  [[nodiscard]] application::result<bool> lead(std::string const& name, std::string const& holder,
                                               std::chrono::milliseconds ttl) override;
  [[nodiscard]] application::result<std::vector<application::queued_exception>> exceptions(
      std::optional<std::string> const& tenant, bool open_only) override;
  [[nodiscard]] application::result<std::optional<application::queued_exception>> resolve_exception(
      std::int64_t id, std::optional<std::string> const& tenant, std::string const& note) override;
  [[nodiscard]] application::result<void> record_exception(application::exception_entry const& entry) override;
  [[nodiscard]] application::result<application::step_summary> summarize() override;

  /// A round trip to the database, for readiness checks: waits up to `bound`
  /// for a pooled connection and up to `bound` for the answer (opening a new
  /// connection is bounded by connect_timeout).
  [[nodiscard]] application::result<void> ping(std::chrono::milliseconds bound = std::chrono::milliseconds{1000});

  [[nodiscard]] pg_options const& options() const noexcept;

 private:
  struct impl;
  class pg_claim;
  explicit pg_command_store(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace once::postgres
