// A new intent decided on the aggregate as the dispatcher last saw it and
// committed in one step (command_store::commit_decided), stated once and run
// on every store. Two dispatchers over one store stand for two service
// instances: each remembers what it saw, neither sees the other's commits.
#pragma once

#include <gtest/gtest.h>

#include <once/application/command_dispatcher.hpp>

#include "support/counting_store.hpp"
#include "support/ledger_harness.hpp"

namespace once_tests {

template <class Factory>
class OneStepDispatch : public LedgerHarness<Factory> {
 protected:
  static once::application::dispatcher_options options(std::size_t cache_bytes = std::size_t{1} << 20) {
    auto chosen = short_waits();
    chosen.aggregate_cache_bytes = cache_bytes;
    return chosen;
  }

  counting_store through_a{this->store()};
  counting_store through_b{this->store()};
  once::application::command_dispatcher<ledger> instance_a{
      through_a, {&this->clock, nullptr, &this->metrics}, options()};
  once::application::command_dispatcher<ledger> instance_b{
      through_b, {&this->clock, nullptr, &this->metrics}, options()};
};

TYPED_TEST_SUITE_P(OneStepDispatch);

TYPED_TEST_P(OneStepDispatch, ANewAggregateIsCreatedInOneStep) {
  auto const opened = this->instance_a.dispatch(deposit{"L-new", "D-1", 100}, envelope_with(std::nullopt));
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(opened->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(this->through_a.decided_commits, 1);
  EXPECT_EQ(this->through_a.claims, 0);
  EXPECT_EQ(this->through_a.reads, 0);
}

TYPED_TEST_P(OneStepDispatch, ANewIntentOnAnAggregateThisInstanceSawIsOneStepWithoutAReadOrAClaim) {
  ASSERT_TRUE(this->instance_a.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  this->through_a.reset();
  auto const second = this->instance_a.dispatch(withdraw{"L-1", 30}, envelope_with("w-1"));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(second->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(second->result().balance, 70);
  EXPECT_EQ(this->through_a.decided_commits, 1);
  EXPECT_EQ(this->through_a.claims, 0);
  EXPECT_EQ(this->through_a.reads, 0);
}

TYPED_TEST_P(OneStepDispatch, AStaleRememberedAggregateCostsOneRetryAndTheAnswerOfTheCurrentOne) {
  ASSERT_TRUE(this->instance_a.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  // The other instance withdraws 60: instance A still remembers a balance of 100.
  auto const elsewhere = this->instance_b.dispatch(withdraw{"L-1", 60}, envelope_with("w-b"));
  ASSERT_TRUE(elsewhere.has_value());
  ASSERT_EQ(elsewhere->kind(), once::domain::outcome_kind::applied);
  this->through_a.reset();

  // On the remembered 100 this withdrawal would pass; on the current 40 it is refused.
  auto const stale = this->instance_a.dispatch(withdraw{"L-1", 50}, envelope_with("w-a"));
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  EXPECT_EQ(stale->kind(), once::domain::outcome_kind::rejected);
  EXPECT_EQ(stale->refusal().code, "insufficient_funds");
  EXPECT_EQ(this->through_a.decided_commits, 2) << "one retry, on the aggregate the store answered with";
  EXPECT_EQ(this->metrics.decided_again(), 2) << "instance B's first withdrawal (never seen) and this one";
  EXPECT_EQ(this->through_a.claims, 0);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 40);
  EXPECT_EQ(this->under_test->outbox_size(), 2U) << "the refused withdrawal left no event";

  // And the next command on instance A is decided on what it learnt: one step again.
  this->through_a.reset();
  auto const next = this->instance_a.dispatch(withdraw{"L-1", 40}, envelope_with("w-a2"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(this->through_a.decided_commits, 1);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 0);
}

TYPED_TEST_P(OneStepDispatch, ARefusalDecidedOnAStaleAggregateIsNotStored) {
  ASSERT_TRUE(this->instance_a.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  ASSERT_TRUE(this->instance_b.dispatch(deposit{"L-1", "D-2", 100}, envelope_with(std::nullopt)).has_value());
  // Instance A remembers 100: it would refuse 150; the ledger holds 200.
  auto const withdrawn = this->instance_a.dispatch(withdraw{"L-1", 150}, envelope_with("w-a"));
  ASSERT_TRUE(withdrawn.has_value()) << withdrawn.error().message;
  EXPECT_EQ(withdrawn->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(withdrawn->result().balance, 50);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 50);
  auto const repeat = this->instance_b.dispatch(withdraw{"L-1", 150}, envelope_with("w-a"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 50) << "one effect";
}

TYPED_TEST_P(OneStepDispatch, ARepeatSentToTheOtherInstanceIsAnsweredFromTheRecordInOneStep) {
  ASSERT_TRUE(this->instance_a.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  ASSERT_TRUE(this->instance_a.dispatch(withdraw{"L-1", 30}, envelope_with("w-1")).has_value());
  auto const repeat = this->instance_b.dispatch(withdraw{"L-1", 30}, envelope_with("w-1"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->result().balance, 70);
  EXPECT_EQ(this->through_b.decided_commits, 1);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 70);
  EXPECT_EQ(this->under_test->outbox_size(), 2U);
}

TYPED_TEST_P(OneStepDispatch, WithoutRememberingAnythingMissesOnExistingAggregatesLearnToReadFirst) {
  once::application::command_dispatcher<ledger> forgetful{
      this->through_a, {&this->clock, nullptr, &this->metrics}, this->options(0)};
  for (int i = 1; i <= 10; ++i) {
    this->through_a.reset();
    auto const done = forgetful.dispatch(deposit{"L-1", "D-" + std::to_string(i), 10}, envelope_with(std::nullopt));
    ASSERT_TRUE(done.has_value()) << done.error().message;
    EXPECT_EQ(done->result().balance, 10 * i);
  }
  // The first deposits were decided on "absent" and answered `moved`; the last read the ledger first.
  EXPECT_EQ(this->through_a.reads, 1);
  EXPECT_EQ(this->through_a.decided_commits, 1);
  EXPECT_EQ(this->version_of("L-1"), 10);
  EXPECT_EQ(this->under_test->outbox_size(), 10U);
}

TYPED_TEST_P(OneStepDispatch, RepeatsOfATypeThatLatelyRepeatsAreLookedUpWithoutDecidingAndNewIntentsStillCommitOnce) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(this->instance_a.dispatch(deposit{"L-1", "D-" + std::to_string(i), 10}, envelope_with(std::nullopt))
                    .has_value());
  }
  // Retries of those five deposits: the first are decided and answered `repeat`
  // by the commit, until repeats outweigh the new intents this type had.
  int decided = 0;
  for (int round = 0; round < 20; ++round) {
    auto const i = 1 + round % 5;
    this->through_a.reset();
    auto const again =
        this->instance_a.dispatch(deposit{"L-1", "D-" + std::to_string(i), 10}, envelope_with(std::nullopt));
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_EQ(again->kind(), once::domain::outcome_kind::replayed);
    EXPECT_EQ(again->result().balance, 10 * i);
    decided += this->through_a.decided_commits;
    if (round >= 15) {
      EXPECT_EQ(this->through_a.decided_commits, 0) << "retry " << round << " is looked up, not decided";
      EXPECT_EQ(this->through_a.finds, 1);
    }
  }
  EXPECT_GE(decided, 1);
  EXPECT_EQ(this->version_of("L-1"), 5) << "no retry had an effect";

  // A new intent of that type is looked up, not found, and committed once.
  this->through_a.reset();
  auto const fresh = this->instance_a.dispatch(deposit{"L-1", "D-6", 10}, envelope_with(std::nullopt));
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_EQ(fresh->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(fresh->result().balance, 60);
  EXPECT_EQ(this->through_a.finds, 1);
  EXPECT_EQ(this->through_a.decided_commits, 1);
  EXPECT_EQ(this->version_of("L-1"), 6);
  EXPECT_EQ(this->under_test->outbox_size(), 6U);
}

REGISTER_TYPED_TEST_SUITE_P(OneStepDispatch, ANewAggregateIsCreatedInOneStep,
                            ANewIntentOnAnAggregateThisInstanceSawIsOneStepWithoutAReadOrAClaim,
                            AStaleRememberedAggregateCostsOneRetryAndTheAnswerOfTheCurrentOne,
                            ARefusalDecidedOnAStaleAggregateIsNotStored,
                            ARepeatSentToTheOtherInstanceIsAnsweredFromTheRecordInOneStep,
                            WithoutRememberingAnythingMissesOnExistingAggregatesLearnToReadFirst,
                            RepeatsOfATypeThatLatelyRepeatsAreLookedUpWithoutDecidingAndNewIntentsStillCommitOnce);

}  // namespace once_tests
