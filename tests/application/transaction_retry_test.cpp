// Store failures: bounded retries of aborted transactions and of races on
// an aggregate, no outcome for infrastructure errors, and a safe retry after
// an unknown commit outcome.
#include <once/application/command_dispatcher.hpp>

#include <gtest/gtest.h>

#include "support/flaky_store.hpp"
#include "support/ledger_harness.hpp"

namespace once_tests {
namespace {

using once::application::error_code;
using once::domain::outcome_kind;

class StoreFailures : public LedgerHarness<> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-0", 100}, envelope_with("k")).has_value());
  }

  flaky_store flaky{store()};
  once::application::command_dispatcher<ledger> flaky_dispatcher{flaky, {&clock, nullptr, &metrics}, short_waits()};
};

TEST_F(StoreFailures, AnAbortedTransactionIsRetriedAndTakesEffectOnce) {
  flaky.fail_next_commits(3, error_code::aborted);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(metrics.retries(), 3);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
  EXPECT_EQ(under_test->outbox_size(), 2U);
}

TEST_F(StoreFailures, RetriesStopAtTheBoundAndLeaveTheIntentNew) {
  flaky.fail_next_commits(5, error_code::aborted);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, error_code::aborted);
  EXPECT_EQ(metrics.retries(), 4);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 100);

  auto const later = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->kind(), outcome_kind::applied);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

TEST_F(StoreFailures, AnAggregateMovedTwiceUnderOneAttemptByOthersIsARaceRetriedSerialised) {
  flaky.answer_next_decided_commits_moved(2, /*by_own_commit=*/false);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(metrics.retries(), 1);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

TEST_F(StoreFailures, DecidingAgainBehindThisProcesssOwnCommitsIsQueueingNotARace) {
  flaky.answer_next_decided_commits_moved(10, /*by_own_commit=*/true);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(metrics.retries(), 0);
  EXPECT_EQ(metrics.decided_again(), 10);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

TEST_F(StoreFailures, QueueingBehindOwnCommitsPastItsBoundIsRetriedSerialised) {
  using dispatcher = once::application::command_dispatcher<ledger>;
  flaky.answer_next_decided_commits_moved(dispatcher::max_decisions_behind_own_commits + 1, /*by_own_commit=*/true);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(metrics.retries(), 1);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

TEST_F(StoreFailures, AnUnreachableStoreIsAnErrorNotAnOutcome) {
  flaky.fail_next_claims(1);
  auto const outcome = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, error_code::unavailable);
  EXPECT_EQ(metrics.retries(), 0);
  EXPECT_EQ(under_test->intent_count(), 1U);  // only the set-up deposit
}

TEST_F(StoreFailures, AnUnknownCommitOutcomeIsReportedAndARetryWithTheSameIntentIsSafe) {
  flaky.fail_next_commits(1, error_code::outcome_unknown, /*after_commit=*/true);
  auto const unknown = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, error_code::outcome_unknown);
  EXPECT_EQ(metrics.retries(), 0) << "an unknown outcome is never retried blindly";

  auto const retry = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->kind(), outcome_kind::replayed);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

TEST_F(StoreFailures, AnUnknownCommitThatDidNotHappenIsAppliedOnRetry) {
  flaky.fail_next_commits(1, error_code::outcome_unknown, /*after_commit=*/false);
  ASSERT_FALSE(flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1")).has_value());
  auto const retry = flaky_dispatcher.dispatch(withdraw{"L-1", 10}, envelope_with("w1"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->kind(), outcome_kind::applied);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 90);
}

}  // namespace
}  // namespace once_tests
