#include <once/postgres/pg_command_store.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/except>

#include "commit_sharing.hpp"
#include "connection_pool.hpp"
#include "pg_errors.hpp"
#include "sql_text.hpp"
#include "statement_watchdog.hpp"

namespace once::postgres {

using application::aggregate_ref;
using application::claim_result;
using application::error_code;
using application::fail;
using application::intent_claim;
using application::intent_record;
using application::intent_status;
using application::result;
using application::stored_aggregate;
using detail::connection_pool;
using detail::literal;
using detail::phase;

bool is_valid_schema_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 63) return false;
  if (!(name.front() == '_' || (name.front() >= 'a' && name.front() <= 'z'))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

namespace {

intent_status status_from(std::string_view text) {
  if (text == "rejected") return intent_status::rejected;
  if (text == "pending") return intent_status::pending;
  if (text == "unknown") return intent_status::unknown;
  return intent_status::applied;
}

std::string_view to_sql(intent_status status) {
  switch (status) {
    case intent_status::rejected:
      return "rejected";
    case intent_status::pending:
      return "pending";
    case intent_status::unknown:
      return "unknown";
    case intent_status::applied:
      break;
  }
  return "applied";
}

application::step_status step_status_from(std::string_view text) {
  if (text == "unknown") return application::step_status::unknown;
  if (text == "concluded") return application::step_status::concluded;
  if (text == "needs_review") return application::step_status::needs_review;
  return application::step_status::pending;
}

// A step from a row of once_take_over_steps or the step query (same column names).
application::step_record read_step(detail::rows::row const& row) {
  application::step_record step;
  step.intent = domain::intent_key{row["tenant"].c_str(), row["scope"].c_str(), row["key"].c_str()};
  step.command_type = row["command_type"].c_str();
  step.fingerprint = row["fingerprint"].c_str();
  step.target = aggregate_ref{row["aggregate_type"].c_str(), row["aggregate_id"].c_str(), step.intent.tenant};
  step.reference = row["reference"].c_str();
  step.command = row["command"].c_str();
  step.status = step_status_from(row["status"].c_str());
  step.attempt = row["attempt"].as<std::int64_t>();
  step.lease_until = detail::from_epoch_us(row["lease_until_us"].as<std::int64_t>());
  step.last_sent_by = detail::from_epoch_us(row["last_sent_by_us"].as<std::int64_t>());
  step.calls = row["calls"].as<int>();
  step.created_at = detail::from_epoch_us(row["created_at_us"].as<std::int64_t>());
  return step;
}

std::optional<application::time_point> optional_time(detail::rows::field const& field) {
  if (field.is_null()) return std::nullopt;
  return detail::from_epoch_us(field.as<std::int64_t>());
}

// An intent record from a row of once_find_intent or once_claim (same column names).
intent_record read_record(detail::rows::row const& row, domain::intent_key const& intent) {
  return intent_record{intent,
                       row["command_type"].c_str(),
                       row["fingerprint"].c_str(),
                       aggregate_ref{row["aggregate_type"].c_str(), row["aggregate_id"].c_str(), intent.tenant},
                       row["aggregate_version"].as<std::int64_t>(),
                       status_from(row["status"].c_str()),
                       row["result"].c_str(),
                       detail::from_epoch_us(row["created_at_us"].as<std::int64_t>()),
                       optional_time(row["expires_at_us"])};
}

// A row of once_look, once_claim or once_commit_decided: the outcome and, by outcome, the record or the aggregate.
struct claim_row {
  std::string outcome;
  std::optional<intent_record> record;
  std::optional<stored_aggregate> current;
};

claim_row read_claim_row(detail::rows::row const& row, intent_claim const& claim) {
  claim_row answer{row["outcome"].c_str(), std::nullopt, std::nullopt};
  if (answer.outcome == "claimed" || answer.outcome == "absent" || answer.outcome == "moved") {
    if (!row["state"].is_null()) {
      answer.current =
          stored_aggregate{claim.target, row["aggregate_version"].as<std::int64_t>(), row["state"].c_str()};
    }
  } else if (answer.outcome == "repeat") {
    answer.record = read_record(row, claim.intent);
  } else if (answer.outcome != "in_flight" && answer.outcome != "committed") {
    throw std::runtime_error("unknown outcome '" + answer.outcome + "'");
  }
  return answer;
}

// "$first,...,$(first + count - 1)": the parameters of a call.
std::string placeholders(std::size_t first, std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += (i == 0 ? "$" : ",$") + std::to_string(first + i);
  return text;
}

std::string milliseconds(std::chrono::milliseconds wait) {
  return std::to_string(std::max<std::int64_t>(1, wait.count()));
}

// The statement got no answer within its bound: the server may still be
// running it, so it is not sent again on another connection.
struct no_answer_in_time : pqxx::broken_connection {
  using pqxx::broken_connection::broken_connection;
};

// Runs `send` (a script or a pipeline) on the leased connection, outside
// libpqxx's own transaction handling (the scripts carry their own
// BEGIN/COMMIT), within `bound`: past it the watchdog shuts the socket down
// and the statement fails as a lost connection. Answers each statement's
// rows, in order.
template <typename Send>
std::vector<detail::rows> run_bounded(detail::statement_watchdog& watchdog, connection_pool::lease& lease,
                                      std::chrono::milliseconds bound, Send const& send) {
  auto& connection = lease.connection();
  auto guard = watchdog.arm(connection.sock(), detail::statement_watchdog::clock::now() + bound);
  try {
    return send(connection);
  } catch (pqxx::broken_connection const&) {
    if (guard.expired()) {
      throw no_answer_in_time{"no answer from PostgreSQL within " + std::to_string(bound.count()) +
                              " ms (client-side statement timeout)"};
    }
    throw;
  }
}

std::vector<detail::rows> run_each(detail::statement_watchdog& watchdog, connection_pool::lease& lease,
                                   std::string const& sql, std::chrono::milliseconds bound) {
  return run_bounded(watchdog, lease, bound,
                     [&](detail::lending_connection& connection) { return detail::execute_each(connection, sql); });
}

std::vector<detail::rows> run_pipeline(detail::statement_watchdog& watchdog, connection_pool::lease& lease,
                                       std::vector<detail::parameterized_statement> const& statements,
                                       std::chrono::milliseconds bound) {
  return run_bounded(watchdog, lease, bound, [&](detail::lending_connection& connection) {
    return detail::execute_pipeline(connection, statements);
  });
}

// The same, answering the last statement's rows.
detail::rows run(detail::statement_watchdog& watchdog, connection_pool::lease& lease, std::string const& sql,
                 std::chrono::milliseconds bound) {
  auto answers = run_each(watchdog, lease, sql, bound);
  if (answers.empty()) return detail::rows{};
  return std::move(answers.back());
}

// Ends the server-side transaction after a failure; a connection that cannot is discarded.
void roll_back(detail::statement_watchdog& watchdog, connection_pool::lease& lease,
               std::chrono::milliseconds bound) noexcept {
  if (lease.discarded()) return;
  try {
    (void)run(watchdog, lease, "ROLLBACK", bound);
  } catch (...) {
    lease.discard();
  }
}

// once_commit_decided's answer to one command.
result<application::decided_commit> read_decided(detail::rows const& rows, intent_claim const& claim) {
  using application::decided_commit;
  try {
    auto answer = read_claim_row(rows.at(0), claim);
    if (answer.outcome == "committed") return decided_commit{};
    if (answer.outcome == "repeat") {
      return decided_commit{decided_commit::status::repeat, std::move(answer.record), std::nullopt};
    }
    if (answer.outcome == "in_flight") return decided_commit{decided_commit::status::in_flight, {}, {}};
    if (answer.outcome == "moved") {
      return decided_commit{decided_commit::status::moved, std::nullopt, std::move(answer.current)};
    }
    throw std::runtime_error("unknown outcome '" + answer.outcome + "'");
  } catch (std::exception const& failure) {
    return fail(error_code::internal, std::string{"unexpected answer from once_commit_decided: "} + failure.what());
  }
}

// A decided command waiting to commit, as its own caller and a statement's leader see it.
struct shared_commit final : detail::commit_sharing::commit {
  shared_commit(intent_claim const& command, application::command_effects const& decided,
                application::claim_waits allowed)
      : commit(key_of(command.intent), key_of(command.target)), claim(command), effects(decided), waits(allowed) {}

  static std::string key_of(domain::intent_key const& intent) {
    return intent.tenant + '\x1f' + intent.scope + '\x1f' + intent.key;
  }
  static std::string key_of(aggregate_ref const& aggregate) {
    return aggregate.tenant + '\x1f' + aggregate.type + '\x1f' + aggregate.id;
  }

  // Answers this commit; what it committed stays readable by commits that
  // followed it after its caller (and the effects) are gone.
  void settle(result<application::decided_commit> given) {
    if (given && given->state == application::decided_commit::status::committed && effects.new_state.has_value()) {
      left = stored_aggregate{effects.new_state->ref, effects.new_state->version, effects.new_state->state, {}};
    }
    answer = std::move(given);
  }

  intent_claim const& claim;                    // the caller's, alive while it waits
  application::command_effects const& effects;  // the same
  application::claim_waits waits;
  std::optional<result<application::decided_commit>> answer;  // none: commit alone
  std::optional<stored_aggregate> left;  // the aggregate's root as this commit left it, when it moved it
};

}  // namespace

struct pg_command_store::impl {
  explicit impl(pg_options store_options)
      : options(std::move(store_options)),
        pool(options),
        look_call("SELECT * FROM " + options.schema + ".once_look("),
        // A claim holds the intent's and the aggregate's locks while its caller
        // decides: if the caller freezes, the server ends the session (and the
        // locks) after claim_timeout instead of when TCP gives up, hours later.
        claim_call("BEGIN; SET LOCAL idle_in_transaction_session_timeout = " +
                   std::to_string(std::max<std::int64_t>(1, options.claim_timeout.count())) + "; SELECT * FROM " +
                   options.schema + ".once_claim("),
        commit_call("SELECT " + options.schema + ".once_commit(" + placeholders(1, commit_parameters) + ')'),
        decided_from(" FROM " + options.schema + ".once_commit_decided(" +
                     placeholders(1, commit_parameters + entry_parameters) + ") AS d"),
        decided_text("SELECT d.*" + decided_from),
        read_call("SELECT * FROM " + options.schema + ".once_read_aggregate("),
        find_call("SELECT * FROM " + options.schema + ".once_find_intent("),
        entity_call("SELECT * FROM " + options.schema + ".once_read_entity(") {
    if (options.shared_commit_statements > 0) {
      sharing.emplace(detail::commit_sharing::statement_places{.while_alone = options.light_load_commit_statements,
                                                               .while_shared = options.shared_commit_statements},
                      commits_per_statement);
    }
  }

  // A shared statement's most commands: enough for every client of a large pool at once.
  static constexpr std::size_t commits_per_statement = 64;

  // once_read_entity's call for one entry.
  std::string entity_statement(pqxx::connection_base& connection, aggregate_ref const& ref, std::string_view collection,
                               std::string const& id) const {
    return entity_call + literal(connection, ref.tenant) + ',' + literal(connection, ref.type) + ',' +
           literal(connection, ref.id) + ',' + literal(connection, std::string{collection}) + ',' +
           literal(connection, id) + ')';
  }
  // once_write_entities' call for what a write carries; empty when it carries no entries.
  std::string entities_statement(pqxx::connection_base& connection,
                                 application::stored_aggregate const& written) const {
    if (written.entities.empty()) return {};
    return options.schema + ".once_write_entities(" + literal(connection, written.ref.tenant) + ',' +
           literal(connection, written.ref.type) + ',' + literal(connection, written.ref.id) + ',' +
           literal(connection, detail::entities_json(written.entities)) + ')';
  }

  // once_commit's first arguments, shared with once_commit_decided (sql/0002, sql/0011).
  static constexpr std::size_t commit_parameters = 17;
  std::vector<std::optional<std::string>> commit_values(application::command_effects const& effects,
                                                        application::claim_waits const& waits) const {
    auto const& record = effects.record;
    std::vector<std::optional<std::string>> values{
        record.intent.tenant,
        record.intent.scope,
        record.intent.key,
        record.command_type,
        record.fingerprint,
        record.target.type,
        record.target.id,
        std::to_string(record.aggregate_version),
        std::string{to_sql(record.status)},
        record.stored_result,
        detail::iso_utc(record.created_at),
        record.expires_at.has_value() ? std::optional{detail::iso_utc(*record.expires_at)} : std::nullopt,
        effects.new_state.has_value() ? std::optional{effects.new_state->state} : std::nullopt,
        std::to_string(effects.expected_version),
        effects.outbox.empty() ? std::nullopt : std::optional{detail::outbox_json(effects.outbox)},
        milliseconds(waits.in_flight),
        milliseconds(waits.aggregate)};
    return values;
  }

  // once_commit_decided's last two arguments (sql/0015): the entries written and removed, appended to `values`.
  static constexpr std::size_t entry_parameters = 2;
  static void append_entry_values(application::command_effects const& effects,
                                  std::vector<std::optional<std::string>>& values) {
    for (auto const part : {detail::entry_part::written, detail::entry_part::removed}) {
      auto json =
          effects.new_state.has_value() ? detail::entries_json(effects.new_state->entities, part) : std::string{};
      values.push_back(json.empty() ? std::nullopt : std::optional{std::move(json)});
    }
  }

  // A call of `function` in the schema with `arguments` appended to `values` as its parameters.
  std::string call(std::string const& function, std::vector<std::string> arguments,
                   std::vector<std::optional<std::string>>& values) const {
    auto const first = values.size() + 1;
    auto const count = arguments.size();
    for (auto& argument : arguments) values.emplace_back(std::move(argument));
    return options.schema + '.' + function + '(' + placeholders(first, count) + ')';
  }

  // The calls that write, in the commit's statement and only with its effects, what
  // the effects carry beside them: the message they came from, the step of a
  // pending intent (and the entries changed, which once_commit_decided takes
  // itself). Their values are appended to `values`.
  std::vector<std::string> written_beside(application::command_effects const& effects,
                                          std::vector<std::optional<std::string>>& values) const {
    std::vector<std::string> calls;
    auto const& record = effects.record;
    if (effects.inbox.has_value()) {
      calls.push_back(call("once_record_receipt", {effects.inbox->consumer, effects.inbox->message_id}, values));
    }
    if (effects.step.has_value()) {
      auto const& step = *effects.step;
      calls.push_back(call("once_start_step",
                           {record.intent.tenant, record.intent.scope, record.intent.key, record.command_type,
                            record.fingerprint, record.target.type, record.target.id, step.reference, step.command,
                            step.holder, detail::iso_utc(step.lease_until)},
                           values));
    }
    return calls;
  }

  // once_commit_decided's statement for one command, with the writes beside
  // its effects made only when it committed them. Commands with nothing
  // beside them share one text, which a pipeline parses once for all of them.
  detail::parameterized_statement decided_statement(application::command_effects const& effects,
                                                    application::claim_waits const& waits) const {
    auto values = commit_values(effects, waits);
    append_entry_values(effects, values);
    auto const beside = written_beside(effects, values);
    if (beside.empty()) return {decided_text, std::move(values)};
    std::string text = "SELECT d.*";
    for (auto const& written : beside) text += ", CASE WHEN d.outcome = 'committed' THEN " + written + " END";
    return {text + decided_from, std::move(values)};
  }

  // One statement, in a transaction of its own. A lost connection leaves the
  // outcome unknown, and sending the same statement again on a fresh one is
  // how to learn it: it answers 'repeat' when the first was committed
  // (waiting for it while it still runs) and commits otherwise. A pooled
  // connection that died while idle is the common case. A statement that got
  // no answer in time is not sent again: the bound holds.
  result<application::decided_commit> commit_alone(intent_claim const& claim,
                                                   application::command_effects const& effects,
                                                   application::claim_waits const& waits) {
    auto acquired = pool.acquire();
    if (!acquired) return domain::unexpected{std::move(acquired).error()};
    std::optional<connection_pool::lease> lease{std::move(*acquired)};
    for (int attempt = 1;; ++attempt) {
      try {
        auto answers = run_pipeline(watchdog, *lease, {decided_statement(effects, waits)}, bound_with_waits(waits));
        return read_decided(answers.empty() ? detail::rows{} : answers.front(), claim);
      } catch (std::exception const& failure) {
        auto error = detail::translate(failure, phase::committing);
        if (!detail::connection_is_lost(error))
          return domain::unexpected{std::move(error)};  // autocommit: nothing written
        lease->discard();
        lease.reset();
        if (attempt > 1 || dynamic_cast<no_answer_in_time const*>(&failure) != nullptr) {
          return domain::unexpected{std::move(error)};
        }
        auto fresh = pool.acquire_fresh();
        if (!fresh) return domain::unexpected{std::move(error)};
        lease.emplace(std::move(*fresh));
      }
    }
  }

  // The commits of `sent`, one statement each, in one round trip and one
  // transaction (a script of several statements is one transaction). Each is
  // answered as it would be alone; when the script fails, none is committed
  // and each is left unanswered, to go again alone. The script is given the
  // longest bound one of its commands would have alone (so a frozen server
  // holds them no longer than that); one that got no answer in time may
  // still commit: each is answered with that error.
  void commit_together(detail::commit_sharing::batch const& sent) {
    struct leaving {
      detail::commit_sharing& sharing;
      detail::commit_sharing::batch const& sent;
      ~leaving() { sharing.leave(sent); }
    } const leave_when_done{*sharing, sent};
    auto const commit_of = [&](std::size_t index) -> shared_commit& {
      return static_cast<shared_commit&>(*sent[index]);
    };
    if (sent.size() == 1) {
      auto& only = commit_of(0);
      only.settle(commit_alone(only.claim, only.effects, only.waits));
      return;
    }
    auto acquired = pool.acquire();
    if (!acquired) return;  // each tries alone, waiting for a connection itself
    auto& lease = *acquired;
    try {
      std::vector<detail::parameterized_statement> pipeline;
      std::chrono::milliseconds bound{0};
      for (std::size_t i = 0; i < sent.size(); ++i) {
        auto const& one = commit_of(i);
        pipeline.push_back(decided_statement(one.effects, one.waits));
        bound = std::max(bound, bound_with_waits(one.waits));
      }
      auto answers = run_pipeline(watchdog, lease, pipeline, bound);
      if (answers.size() != sent.size()) return;  // not what was sent: each alone learns its outcome
      for (std::size_t i = 0; i < sent.size(); ++i) {
        auto& one = commit_of(i);
        one.settle(read_decided(answers[i], one.claim));
      }
    } catch (std::exception const& failure) {
      auto error = detail::translate(failure, phase::committing);
      if (!detail::connection_is_lost(error)) return;  // refused, nothing written: each alone
      lease.discard();
      if (dynamic_cast<no_answer_in_time const*>(&failure) == nullptr) return;  // lost: each alone learns its outcome
      for (std::size_t i = 0; i < sent.size(); ++i) commit_of(i).answer = domain::unexpected{error};
    }
  }

  // Runs a read-only statement; one retry on a fresh connection if the pooled one was lost.
  result<detail::rows> read_only(std::function<std::string(pqxx::connection_base&)> const& build) {
    return read_only(build, options.acquire_timeout, options.statement_timeout);
  }
  // The same, waiting up to `acquire_wait` for a connection and `bound` for the statement.
  result<detail::rows> read_only(std::function<std::string(pqxx::connection_base&)> const& build,
                                 std::chrono::milliseconds acquire_wait, std::chrono::milliseconds bound) {
    auto lease = pool.acquire(acquire_wait);
    if (!lease) return domain::unexpected{std::move(lease).error()};
    std::optional<connection_pool::lease> held{std::move(*lease)};
    for (int attempt = 1;; ++attempt) {
      try {
        return run(watchdog, *held, build(held->connection()), bound);
      } catch (std::exception const& failure) {
        auto error = detail::translate(failure, phase::before_commit);
        if (!detail::connection_is_lost(error) || attempt > 1) {
          if (detail::connection_is_lost(error)) held->discard();
          return domain::unexpected{std::move(error)};
        }
        held->discard();
        held.reset();
        auto fresh = pool.acquire_fresh();
        if (!fresh) return domain::unexpected{std::move(fresh).error()};
        held.emplace(std::move(*fresh));
      }
    }
  }

  // The live intent record, expiry judged at `now` (the server's clock when absent).
  result<std::optional<intent_record>> find_record(domain::intent_key const& intent,
                                                   std::optional<application::time_point> now) {
    auto rows = read_only([&](pqxx::connection_base& connection) {
      return find_call + literal(connection, intent.tenant) + ',' + literal(connection, intent.scope) + ',' +
             literal(connection, intent.key) + ',' + (now.has_value() ? "'" + detail::iso_utc(*now) + "'" : "NULL") +
             ')';
    });
    if (!rows) return domain::unexpected{std::move(rows).error()};
    if (rows->empty()) return std::optional<intent_record>{};
    try {
      return std::optional{read_record(rows->at(0), intent)};
    } catch (std::exception const& failure) {
      return fail(error_code::internal, std::string{"unexpected answer from once_find_intent: "} + failure.what());
    }
  }

  // Statements may legitimately wait for locks this long, on top of statement_timeout.
  std::chrono::milliseconds bound_with_waits(application::claim_waits const& waits) const {
    return options.statement_timeout + waits.in_flight + waits.aggregate;
  }

  pg_options options;
  connection_pool pool;
  detail::statement_watchdog watchdog;
  std::string look_call;
  std::string claim_call;
  std::string commit_call;   // once_commit's statement, its values the first commit_parameters
  std::string decided_from;  // FROM once_commit_decided(...): its values commit_values and entry_values
  std::string decided_text;  // its statement when nothing is written beside the commit
  std::string read_call;
  std::string find_call;
  std::string entity_call;
  std::optional<detail::commit_sharing> sharing;  // when options.shared_commit_statements > 0
};

// One claimed intent and the leased connection it commits on. Serialising:
// the connection is inside the transaction that holds the intent's and the
// aggregate's locks. Optimistic: nothing is held; commit is one autocommit
// statement that takes the locks and checks everything itself.
class pg_command_store::pg_claim final : public application::claimed_intent {
 public:
  pg_claim(impl& store, connection_pool::lease lease, aggregate_ref target, std::optional<stored_aggregate> current,
           application::claim_waits waits, bool in_transaction)
      : store_(&store),
        lease_(std::move(lease)),
        target_(std::move(target)),
        current_(std::move(current)),
        waits_(waits),
        in_transaction_(in_transaction) {}
  pg_claim(pg_claim const&) = delete;
  pg_claim& operator=(pg_claim const&) = delete;
  ~pg_claim() override {
    if (!finished_ && in_transaction_) roll_back(store_->watchdog, lease_, store_->options.statement_timeout);
  }

  [[nodiscard]] std::optional<stored_aggregate> const& current() const override { return current_; }

  // On the claim's connection: inside its transaction when it serialises.
  [[nodiscard]] result<std::optional<std::string>> entity(std::string_view collection, std::string const& id) override {
    if (finished_) return fail(error_code::internal, "this claim was already committed");
    try {
      auto const rows =
          run(store_->watchdog, lease_, store_->entity_statement(lease_.connection(), target_, collection, id),
              store_->options.statement_timeout);
      if (rows.empty() || rows[0][0].is_null()) return std::optional<std::string>{};
      return std::optional<std::string>{rows[0][0].c_str()};
    } catch (std::exception const& failure) {
      auto error = detail::translate(failure, phase::before_commit);
      if (detail::connection_is_lost(error)) lease_.discard();
      return domain::unexpected{std::move(error)};  // the caller drops the claim, which rolls back
    }
  }

  [[nodiscard]] result<void> commit(application::command_effects effects) override {
    if (finished_) return fail(error_code::internal, "this claim was already committed");
    finished_ = true;
    std::vector<detail::parameterized_statement> statements;
    try {
      statements = commit_statements(effects);
    } catch (std::exception const& failure) {  // the connection died before anything was sent
      lease_.discard();
      return fail(error_code::unavailable, std::string{"connection lost before committing: "} + failure.what(),
                  "08006");
    }
    try {
      (void)run_pipeline(store_->watchdog, lease_, statements, store_->bound_with_waits(waits_));
    } catch (std::exception const& failure) {
      auto error = detail::translate(failure, phase::committing);
      if (detail::connection_is_lost(error)) {
        lease_.discard();
      } else if (in_transaction_) {
        roll_back(store_->watchdog, lease_, store_->options.statement_timeout);  // autocommit left nothing open
      }
      return domain::unexpected{std::move(error)};
    }
    return {};
  }

 private:
  // once_commit and what is written beside it, in one statement (an error
  // there rolls all of it back), then COMMIT when the claim serialises.
  std::vector<detail::parameterized_statement> commit_statements(application::command_effects const& effects) {
    auto values = store_->commit_values(effects, waits_);
    std::string text = store_->commit_call;
    if (effects.new_state.has_value()) {  // after once_commit's version check
      if (auto entities = store_->entities_statement(lease_.connection(), *effects.new_state); !entities.empty()) {
        text += ", " + entities;
      }
    }
    for (auto const& beside : store_->written_beside(effects, values)) text += ", " + beside;
    std::vector<detail::parameterized_statement> statements{{std::move(text), std::move(values)}};
    if (in_transaction_) statements.push_back({"COMMIT", {}});
    return statements;
  }

  impl* store_;
  connection_pool::lease lease_;
  aggregate_ref target_;
  std::optional<stored_aggregate> current_;
  application::claim_waits waits_;
  bool in_transaction_;
  bool finished_ = false;
};

result<std::unique_ptr<pg_command_store>> pg_command_store::open(pg_options options) {
  if (!is_valid_schema_name(options.schema)) {
    return fail(error_code::invalid_argument,
                "schema name '" + options.schema + "' must be lower-case letters, digits and underscores");
  }
  if (options.database_url.empty()) return fail(error_code::invalid_argument, "no database URL given");
  return std::unique_ptr<pg_command_store>{new pg_command_store{std::make_unique<impl>(std::move(options))}};
}

pg_command_store::pg_command_store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
pg_command_store::~pg_command_store() = default;

pg_options const& pg_command_store::options() const noexcept {
  return impl_->options;
}

result<claim_result> pg_command_store::claim(intent_claim const& claim, application::claim_waits const& waits) {
  if (claim.target.tenant != claim.intent.tenant) {
    return fail(error_code::invalid_argument, "an intent acts only on aggregates of its own tenant");
  }
  auto acquired = impl_->pool.acquire();
  if (!acquired) return domain::unexpected{std::move(acquired).error()};
  std::optional<connection_pool::lease> lease{std::move(*acquired)};

  // A pooled connection may have died while idle (server restart, terminated
  // backend): nothing of this claim can have happened, so retry on fresh ones.
  for (std::size_t attempt = 1;; ++attempt) {
    detail::rows rows;
    try {
      // Quoting asks the connection for its encoding: a dead connection fails here already.
      auto& connection = lease->connection();
      std::string sql = claim.serialise ? impl_->claim_call : impl_->look_call;
      sql += literal(connection, claim.intent.tenant) + ',' + literal(connection, claim.intent.scope) + ',' +
             literal(connection, claim.intent.key) + ',' + literal(connection, claim.target.type) + ',' +
             literal(connection, claim.target.id) + ",'" + detail::iso_utc(claim.requested_at) + "'";
      if (claim.serialise) sql += ',' + milliseconds(waits.in_flight) + ',' + milliseconds(waits.aggregate);
      sql += ')';
      rows = run(impl_->watchdog, *lease, sql,
                 claim.serialise ? impl_->bound_with_waits(waits) : impl_->options.statement_timeout);
    } catch (std::exception const& failure) {
      auto error = detail::translate(failure, phase::before_commit);
      if (!detail::connection_is_lost(error)) {
        if (claim.serialise) roll_back(impl_->watchdog, *lease, impl_->options.statement_timeout);
        return domain::unexpected{std::move(error)};
      }
      lease->discard();
      lease.reset();
      if (attempt > impl_->options.pool_size) return domain::unexpected{std::move(error)};
      auto fresh = impl_->pool.acquire_fresh();
      if (!fresh) return domain::unexpected{std::move(fresh).error()};
      lease.emplace(std::move(*fresh));
      continue;
    }

    claim_row answer;
    try {
      answer = read_claim_row(rows.at(0), claim);
    } catch (std::exception const& failure) {  // a row that does not read as expected
      if (claim.serialise) roll_back(impl_->watchdog, *lease, impl_->options.statement_timeout);
      return fail(error_code::internal, std::string{"unexpected answer from the claim: "} + failure.what());
    }
    if (answer.outcome == "claimed" || answer.outcome == "absent") {
      return claim_result{claim_result::status::claimed,
                          std::make_unique<pg_claim>(*impl_, std::move(*lease), claim.target, std::move(answer.current),
                                                     waits, claim.serialise),
                          std::nullopt};
    }
    // A serialising claim's transaction holds the intent lock that twins queue
    // on, and relation locks that would block DDL: end it now.
    if (claim.serialise) roll_back(impl_->watchdog, *lease, impl_->options.statement_timeout);
    if (answer.outcome == "in_flight") return claim_result{claim_result::status::in_flight, nullptr, std::nullopt};
    return claim_result{claim_result::status::repeat, nullptr, std::move(answer.record)};
  }
}

result<application::decided_commit> pg_command_store::commit_decided(intent_claim const& claim,
                                                                     application::command_effects effects,
                                                                     application::claim_waits const& waits) {
  if (claim.target.tenant != claim.intent.tenant) {
    return fail(error_code::invalid_argument, "an intent acts only on aggregates of its own tenant");
  }
  if (!impl_->sharing.has_value()) return impl_->commit_alone(claim, effects, waits);
  auto mine = std::make_shared<shared_commit>(claim, effects, waits);
  for (;;) {
    auto const sent = impl_->sharing->enter(mine);
    if (!sent.empty()) impl_->commit_together(sent);
    if (mine->answer.has_value()) return std::move(*mine->answer);
    if (mine->followed == nullptr) break;
    // It waited for this process's commit on its aggregate: decided on the
    // version that commit moved, it is answered so without a statement.
    auto const& followed = static_cast<shared_commit const&>(*mine->followed);
    if (followed.left.has_value() && followed.left->version > effects.expected_version) {
      return application::decided_commit{application::decided_commit::status::moved, std::nullopt, followed.left, true};
    }
  }
  return impl_->commit_alone(claim, effects, waits);  // alone: a twin runs, or the shared statement failed
}

result<std::optional<stored_aggregate>> pg_command_store::read(aggregate_ref const& ref) {
  auto rows = impl_->read_only([&](pqxx::connection_base& connection) {
    return impl_->read_call + literal(connection, ref.tenant) + ',' + literal(connection, ref.type) + ',' +
           literal(connection, ref.id) + ')';
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty()) return std::optional<stored_aggregate>{};
  try {
    auto const row = rows->at(0);
    return std::optional{stored_aggregate{ref, row["version"].as<std::int64_t>(), row["state"].c_str()}};
  } catch (std::exception const& failure) {
    return fail(error_code::internal, std::string{"unexpected answer from once_read_aggregate: "} + failure.what());
  }
}

result<std::optional<std::string>> pg_command_store::read_entity(aggregate_ref const& ref, std::string_view collection,
                                                                 std::string const& id) {
  auto rows = impl_->read_only(
      [&](pqxx::connection_base& connection) { return impl_->entity_statement(connection, ref, collection, id); });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty() || rows->at(0).at(0).is_null()) return std::optional<std::string>{};
  return std::optional<std::string>{rows->at(0).at(0).c_str()};
}

result<std::optional<intent_record>> pg_command_store::find(domain::intent_key const& intent) {
  return impl_->find_record(intent, std::nullopt);
}

result<bool> pg_command_store::has_received(domain::message_receipt const& receipt) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT count(*) FROM " + schema + ".once_inbox WHERE consumer = " + literal(c, receipt.consumer) +
           " AND message_id = " + literal(c, receipt.message_id);
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return rows->at(0).at(0).as<std::int64_t>() > 0;
}

// Both writes are one idempotent statement, so the retry on a fresh connection cannot write twice.
result<void> pg_command_store::record_receipt(domain::message_receipt const& receipt) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT " + schema + ".once_record_receipt(" + literal(c, receipt.consumer) + ", " +
           literal(c, receipt.message_id) + ")";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

result<void> pg_command_store::record_dead_letter(application::dead_letter const& letter) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    auto const or_null = [&c](std::string const& text) {
      return text.empty() ? std::string{"NULL"} : literal(c, text);
    };
    return "INSERT INTO " + schema +
           ".once_inbox_exceptions (consumer, topic, partition, \"offset\", message_id, event_type, error, attempts) "
           "VALUES (" +
           literal(c, letter.consumer) + ", " + literal(c, letter.topic) + ", " + std::to_string(letter.partition) +
           ", " + std::to_string(letter.offset) + ", " + or_null(letter.message_id) + ", " +
           or_null(letter.event_type) + ", " + literal(c, letter.error) + ", " + std::to_string(letter.attempts) +
           ") ON CONFLICT (consumer, topic, partition, \"offset\") DO NOTHING";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

// The step statements are single autocommit statements guarded by the step's
// attempt, so the one retry on a fresh connection cannot write twice: a
// conclusion that did commit finds the step closed and answers false.
result<bool> pg_command_store::conclude(application::step_conclusion const& conclusion) {
  auto const& schema = impl_->options.schema;
  auto const& effects = conclusion.effects;
  auto const& record = effects.record;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    // Entries go with the root: written only when the conclusion was (once_conclude_step answered true).
    auto const entities =
        effects.new_state.has_value() ? impl_->entities_statement(c, *effects.new_state) : std::string{};
    std::string sql = "SELECT " + std::string{entities.empty() ? "" : "CASE WHEN "} + schema + ".once_conclude_step(" +
                      literal(c, record.intent.tenant) + ',' + literal(c, record.intent.scope) + ',' +
                      literal(c, record.intent.key) + ',' + std::to_string(conclusion.attempt) + ",'" +
                      std::string{application::to_string(conclusion.status)} + "','" +
                      detail::iso_utc(conclusion.next_check_at) + "','" + std::string{to_sql(record.status)} + "'," +
                      literal(c, record.stored_result) + ',' + std::to_string(record.aggregate_version) + ',' +
                      literal(c, record.target.type) + ',' + literal(c, record.target.id) + ',';
    sql += effects.new_state.has_value() ? literal(c, effects.new_state->state) : std::string{"NULL"};
    sql += ',' + std::to_string(effects.expected_version) + ',';
    sql += effects.outbox.empty() ? std::string{"NULL"} : literal(c, detail::outbox_json(effects.outbox));
    sql += ',';
    if (conclusion.exception.has_value()) {
      sql += literal(c, conclusion.exception->reason) + ',' + literal(c, conclusion.exception->evidence);
    } else {
      sql += "NULL,NULL";
    }
    sql += ',' + milliseconds(impl_->options.statement_timeout) + ')';
    if (!entities.empty()) sql += " THEN " + entities + " ELSE false END";
    return sql;
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return rows->at(0).at(0).as<bool>();
}

result<std::vector<application::step_record>> pg_command_store::take_over(std::string const& holder,
                                                                          application::time_point now,
                                                                          std::chrono::milliseconds lease,
                                                                          std::size_t limit) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT * FROM " + schema + ".once_take_over_steps(" + literal(c, holder) + ",'" + detail::iso_utc(now) +
           "'," + milliseconds(lease) + ',' + std::to_string(limit) + ')';
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  std::vector<application::step_record> taken;
  try {
    for (auto const& row : *rows) taken.push_back(read_step(row));
  } catch (std::exception const& failure) {
    return fail(error_code::internal, std::string{"unexpected answer from once_take_over_steps: "} + failure.what());
  }
  return taken;
}

namespace {

std::string step_key_condition(pqxx::connection_base& c, domain::intent_key const& intent) {
  return "tenant = " + literal(c, intent.tenant) + " AND scope = " + literal(c, intent.scope) +
         " AND key = " + literal(c, intent.key);
}

}  // namespace

result<bool> pg_command_store::prepare_call(domain::intent_key const& intent, std::int64_t attempt,
                                            application::time_point lease_until) {
  auto const& schema = impl_->options.schema;
  auto const until = "'" + detail::iso_utc(lease_until) + "'";
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "UPDATE " + schema + ".once_external_steps SET lease_until = " + until + ", last_sent_by = " + until +
           ", next_check_at = " + until + ", calls = calls + 1 WHERE " + step_key_condition(c, intent) +
           " AND attempt = " + std::to_string(attempt) + " AND status IN ('pending', 'unknown') RETURNING 1";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return !rows->empty();
}

result<void> pg_command_store::defer(domain::intent_key const& intent, std::int64_t attempt,
                                     application::time_point next_check_at) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "UPDATE " + schema + ".once_external_steps SET next_check_at = '" + detail::iso_utc(next_check_at) +
           "' WHERE " + step_key_condition(c, intent) + " AND attempt = " + std::to_string(attempt) +
           " AND status IN ('pending', 'unknown')";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

result<std::optional<application::step_record>> pg_command_store::find_step(domain::intent_key const& intent) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT tenant, scope, key, command_type, fingerprint, aggregate_type, aggregate_id, reference, "
           "command::text AS command, status, attempt, " +
           schema + ".once_epoch_us(lease_until) AS lease_until_us, " + schema +
           ".once_epoch_us(last_sent_by) AS last_sent_by_us, calls, " + schema +
           ".once_epoch_us(created_at) AS created_at_us FROM " + schema + ".once_external_steps WHERE " +
           step_key_condition(c, intent);
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty()) return std::optional<application::step_record>{};
  try {
    return std::optional{read_step(rows->at(0))};
  } catch (std::exception const& failure) {
    return fail(error_code::internal, std::string{"unexpected step row: "} + failure.what());
  }
}

// The lease table the outbox relay uses (migration 0005), under the worker's own name.
result<bool> pg_command_store::lead(std::string const& name, std::string const& holder, std::chrono::milliseconds ttl) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT " + schema + ".once_take_relay_lease(" + literal(c, "steps:" + name) + ',' + literal(c, holder) +
           ',' + milliseconds(ttl) + ')';
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return !rows->at(0).at(0).is_null();
}

namespace {

std::string exception_columns(std::string const& schema) {
  return "id, tenant, reason, subject, evidence::text AS evidence, scope, key, status, coalesce(note, '') AS note, " +
         schema + ".once_epoch_us(first_seen) AS first_seen_us, " + schema +
         ".once_epoch_us(last_seen) AS last_seen_us";
}

application::queued_exception read_exception(detail::rows::row const& row) {
  application::queued_exception entry;
  entry.id = row["id"].as<std::int64_t>();
  entry.tenant = row["tenant"].c_str();
  entry.reason = row["reason"].c_str();
  entry.subject = row["subject"].c_str();
  entry.evidence = row["evidence"].c_str();
  if (!row["scope"].is_null())
    entry.intent = domain::intent_key{entry.tenant, row["scope"].c_str(), row["key"].c_str()};
  entry.status = row["status"].c_str();
  entry.note = row["note"].c_str();
  entry.first_seen = detail::from_epoch_us(row["first_seen_us"].as<std::int64_t>());
  entry.last_seen = detail::from_epoch_us(row["last_seen_us"].as<std::int64_t>());
  return entry;
}

}  // namespace

result<std::vector<application::queued_exception>> pg_command_store::exceptions(
    std::optional<std::string> const& tenant, bool open_only) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    std::string sql = "SELECT " + exception_columns(schema) + " FROM " + schema + ".once_exceptions WHERE true";
    if (tenant.has_value()) sql += " AND tenant = " + literal(c, *tenant);
    if (open_only) sql += " AND status = 'open'";
    return sql + " ORDER BY first_seen, id";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  std::vector<application::queued_exception> found;
  for (auto const& row : *rows) found.push_back(read_exception(row));
  return found;
}

// One statement: resolves an open entry and answers the entry as it is then (resolved before, or now).
result<std::optional<application::queued_exception>> pg_command_store::resolve_exception(
    std::int64_t id, std::optional<std::string> const& tenant, std::string const& note) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    auto const which =
        "id = " + std::to_string(id) + (tenant.has_value() ? " AND tenant = " + literal(c, *tenant) : "");
    return "WITH resolved AS (UPDATE " + schema +
           ".once_exceptions SET status = 'resolved', note = " + literal(c, note) + ", resolved_at = now() WHERE " +
           which + " AND status = 'open' RETURNING id) SELECT " + exception_columns(schema) + " FROM " + schema +
           ".once_exceptions WHERE " + which;
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  if (rows->empty()) return std::optional<application::queued_exception>{};
  auto entry = read_exception(rows->at(0));
  if (entry.status == "open") {  // the statement's snapshot predates its own update
    entry.status = "resolved";
    entry.note = note;
  }
  return std::optional{std::move(entry)};
}

result<void> pg_command_store::record_exception(application::exception_entry const& entry) {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base& c) {
    return "SELECT " + schema + ".once_record_exception(" + literal(c, entry.tenant) + ',' + literal(c, entry.reason) +
           ',' + literal(c, entry.reference) + ',' + literal(c, entry.evidence) + ',' +
           (entry.intent ? literal(c, entry.intent->scope) + ',' + literal(c, entry.intent->key) : "NULL,NULL") + ')';
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

result<application::step_summary> pg_command_store::summarize() {
  auto const& schema = impl_->options.schema;
  auto rows = impl_->read_only([&](pqxx::connection_base&) {
    return "SELECT (SELECT count(*) FROM " + schema + ".once_external_steps WHERE status = 'pending'), " +
           "(SELECT count(*) FROM " + schema + ".once_external_steps WHERE status = 'unknown'), " +
           "(SELECT count(*) FROM " + schema + ".once_exceptions WHERE status = 'open'), " +
           "(SELECT coalesce(extract(epoch FROM now() - min(first_seen)), 0)::float8 FROM " + schema +
           ".once_exceptions WHERE status = 'open')";
  });
  if (!rows) return domain::unexpected{std::move(rows).error()};
  auto const row = rows->at(0);
  return application::step_summary{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                                   row[3].as<double>()};
}

result<void> pg_command_store::ping(std::chrono::milliseconds bound) {
  auto rows = impl_->read_only([](pqxx::connection_base&) { return std::string{"SELECT 1"}; }, bound, bound);
  if (!rows) return domain::unexpected{std::move(rows).error()};
  return {};
}

}  // namespace once::postgres
