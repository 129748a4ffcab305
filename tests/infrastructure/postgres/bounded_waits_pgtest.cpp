// Every wait on PostgreSQL is bounded: a claim left open by a frozen caller
// is ended by the server after claim_timeout; a statement whose server does
// not answer (its backend stopped with SIGSTOP, as a frozen or partitioned
// server) fails after statement_timeout on the client side; a duplicate waits
// for an in-flight twin once per command, not once per attempt.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <once/application/command_dispatcher.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include "application/command_store_contract.hpp"
#include "support/ledger.hpp"
#include "support/pg_under_test.hpp"
#include "support/proc_stat.hpp"

namespace once_tests {
namespace {

using once::testing::child_process;
using once::testing::database_url;
using once::testing::pg_schema;
using namespace std::chrono_literals;
using once::application::claim_result;
using once::application::error_code;

// A backend stopped with SIGSTOP, continued and terminated at the end.
class stopped_backend {
 public:
  stopped_backend(pg_schema const& schema, std::int64_t pid) : schema_(&schema), pid_(static_cast<pid_t>(pid)) {
    if (::kill(pid_, SIGSTOP) != 0) throw std::runtime_error("cannot stop backend " + std::to_string(pid));
  }
  stopped_backend(stopped_backend const&) = delete;
  stopped_backend& operator=(stopped_backend const&) = delete;
  ~stopped_backend() {
    ::kill(pid_, SIGCONT);
    (void)schema_->scalar("SELECT count(pg_terminate_backend(" + std::to_string(pid_) + "))");
  }

 private:
  pg_schema const* schema_;
  pid_t pid_;
};

std::int64_t backend_of(pg_schema const& schema, std::string const& application, std::int64_t other_than = 0) {
  return schema.scalar("SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE application_name = '" + application +
                       "' AND pid <> " + std::to_string(other_than));
}

// The caller of a serialising claim froze (SIGSTOP, a debugger, a VM pause)
// while deciding: its transaction holds the intent's and the aggregate's locks.
TEST(BoundedWaitsOnPostgres, AClaimLeftOpenIsEndedByTheServerAfterTheClaimTimeout) {
  pg_schema schema;
  auto frozen_options = schema.options(1);
  frozen_options.claim_timeout = 1s;
  auto frozen = once::postgres::pg_command_store::open(frozen_options);
  auto other = once::postgres::pg_command_store::open(schema.options(1));
  ASSERT_TRUE(frozen.has_value() && other.has_value());
  auto const claim = contract_claim("held-by-a-frozen-caller");
  auto held = (*frozen)->claim(claim, contract_waits());
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->state, claim_result::status::claimed);

  // Waiting up to 20 s for the twin: without the bound, the answer after 20 s is "in flight".
  once::application::claim_waits patient;
  patient.in_flight = 20s;
  patient.aggregate = 20s;
  auto const started = std::chrono::steady_clock::now();
  auto taken_over = (*other)->claim(claim, patient);
  ASSERT_TRUE(taken_over.has_value()) << taken_over.error().message;
  EXPECT_EQ(taken_over->state, claim_result::status::claimed) << "the frozen caller's claim was not ended";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  ASSERT_TRUE(taken_over->claim->commit(contract_effects(claim, 0)).has_value());

  // The frozen caller wakes up: its commit cannot have happened.
  auto const late = held->claim->commit(contract_effects(claim, 0));
  ASSERT_FALSE(late.has_value());
  EXPECT_TRUE(late.error().code == error_code::outcome_unknown || late.error().code == error_code::unavailable)
      << late.error().message;
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM " + schema.name() + ".once_intents"), 1);
}

// The same, with a real process: a worker stopped with SIGSTOP while it holds
// a claim. Another process's duplicate gets its answer within the bound.
TEST(BoundedWaitsOnPostgres, AWorkerStoppedWhileHoldingAClaimHoldsItNoLongerThanTheClaimTimeout) {
  pg_schema schema;
  child_process holder{ONCE_PG_CLAIM_HOLDER, {database_url(), schema.name(), "held-by-a-stopped-worker", "1000"}};
  ASSERT_TRUE(once::testing::eventually([&] { return process_state(holder.pid()) == 'T'; }, 20s, 10ms))
      << "the worker did not claim and stop";
  ASSERT_EQ(holder.output_lines(), std::vector<std::string>{"claimed"});

  auto other = once::postgres::pg_command_store::open(schema.options(1));
  ASSERT_TRUE(other.has_value());
  once::application::claim_waits patient;
  patient.in_flight = 20s;
  patient.aggregate = 20s;
  auto const claim = contract_claim("held-by-a-stopped-worker");
  auto const started = std::chrono::steady_clock::now();
  auto taken_over = (*other)->claim(claim, patient);
  ASSERT_TRUE(taken_over.has_value()) << taken_over.error().message;
  EXPECT_EQ(taken_over->state, claim_result::status::claimed) << "the stopped worker still holds the intent";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 15s);
  if (taken_over->state == claim_result::status::claimed) {
    EXPECT_TRUE(taken_over->claim->commit(contract_effects(claim, 0)).has_value());
  }
}

TEST(BoundedWaitsOnPostgres, AStatementWhoseServerDoesNotAnswerIsGivenUpAfterTheStatementTimeout) {
  pg_schema schema;
  std::string const application = "once-stopped-" + schema.name();
  auto options = schema.options(1, application);
  options.statement_timeout = 500ms;
  auto store = once::postgres::pg_command_store::open(options);
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->find({"t", "s", "k"}).has_value());  // opens the pooled connection
  auto const first_backend = backend_of(schema, application);
  ASSERT_NE(first_backend, 0);
  {
    stopped_backend frozen{schema, first_backend};
    auto const started = std::chrono::steady_clock::now();
    // Without a client-side bound this blocks until SIGCONT. With it, the
    // connection is given up after 500 ms and the read retried on a new one.
    auto const found = (*store)->find({"t", "s", "k"});
    EXPECT_TRUE(found.has_value()) << found.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  }

  // While committing, the same is an unknown outcome: retry with the same intent.
  auto claim = contract_claim("commit-to-a-stopped-server");
  claim.serialise = false;
  auto claimed = (*store)->claim(claim, contract_waits());
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  ASSERT_EQ(claimed->state, claim_result::status::claimed);
  auto const second_backend = backend_of(schema, application, first_backend);
  ASSERT_NE(second_backend, 0);
  stopped_backend frozen{schema, second_backend};
  auto const committed = claimed->claim->commit(contract_effects(claim, 0));
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, error_code::outcome_unknown) << committed.error().message;
}

TEST(BoundedWaitsOnPostgres, ADuplicateWaitsForItsInFlightTwinOncePerCommandNotOncePerAttempt) {
  pg_schema schema;
  auto store = once::postgres::pg_command_store::open(schema.options(4));
  ASSERT_TRUE(store.has_value());
  once::domain::envelope env;
  env.tenant = "tenant-twin";
  deposit const command{"L-1", "D-1", 5};
  once::application::dispatcher_options options;
  options.waits.in_flight = 1s;
  once::application::command_dispatcher<ledger> dispatcher{**store, {}, options};
  auto const intent = dispatcher.intent_of(command, env);
  ASSERT_TRUE(intent.has_value());
  // The first attempt holds the intent (a serialising claim, not committed).
  once::application::intent_claim twin{intent->untyped(),
                                       "deposit",
                                       "fp",
                                       {std::string{ledger::type_name}, "L-1", "tenant-twin"},
                                       std::chrono::system_clock::now(),
                                       std::nullopt,
                                       /*serialise=*/true};
  auto held = (*store)->claim(twin, contract_waits());
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->state, claim_result::status::claimed);

  auto const started = std::chrono::steady_clock::now();
  auto const answer = dispatcher.dispatch(command, env);
  auto const waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->kind(), once::domain::outcome_kind::in_flight_timeout);
  // Twice the bound before: the optimistic commit waited 1 s, then the serialising retry 1 s again.
  EXPECT_LT(waited, 1700ms);
}

}  // namespace
}  // namespace once_tests
