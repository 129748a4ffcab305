// Every cell of the repeat-semantics table (docs/semantics.md), stated once
// and run against every store adapter:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, SemanticsTable, my_store_factory);
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <once/application/command_dispatcher.hpp>

#include "support/ledger_harness.hpp"

namespace once_tests {

using once::domain::outcome_kind;

inline once::application::intent_claim claim_for(once::domain::intent_key key, std::string fingerprint,
                                                 once::application::time_point now) {
  // Serialising: it stands for a first attempt that holds the intent while it decides.
  return {std::move(key),
          "test.withdraw",
          std::move(fingerprint),
          {"test.ledger", "L-1", "tenant-a"},
          now,
          std::nullopt,
          true};
}

template <class Factory>
using SemanticsTable = LedgerHarness<Factory>;

TYPED_TEST_SUITE_P(SemanticsTable);

TYPED_TEST_P(SemanticsTable, FirstTimeExecutesAndRecordsStateIntentAndOutboxTogether) {
  auto const outcome = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1"));
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(outcome->result().balance, 100);
  EXPECT_EQ(outcome->aggregate_version(), 1);
  EXPECT_EQ(this->version_of("L-1"), 1);
  EXPECT_EQ(this->under_test->intent_count(), 1U);
  EXPECT_EQ(this->under_test->outbox_size(), 1U);
}

TYPED_TEST_P(SemanticsTable, FirstTimeRejectionIsRecordedWithoutStateOrOutbox) {
  auto const outcome = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1"));
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->kind(), outcome_kind::rejected);
  EXPECT_EQ(outcome->refusal().code, "ledger_not_found");
  EXPECT_EQ(this->under_test->intent_count(), 1U);
  EXPECT_EQ(this->under_test->outbox_size(), 0U);
  EXPECT_EQ(this->version_of("L-1"), 0);
}

TYPED_TEST_P(SemanticsTable, FirstTimeOutboxMessageCarriesTheEventAndTheIntent) {
  auto env = envelope_with("k1");
  env.trace_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, env).has_value());
  auto const outbox = this->under_test->outbox();
  ASSERT_EQ(outbox.size(), 1U);
  auto const& message = outbox.front();
  EXPECT_EQ(message.event_type, "test.deposited");
  EXPECT_EQ(message.topic, "test.ledger");
  EXPECT_EQ(message.key, "L-1");
  EXPECT_EQ(message.aggregate_version, 1);
  EXPECT_EQ(message.payload, R"({"amount":100,"deposit_id":"D-1"})");
  EXPECT_EQ(message.header("once-tenant"), "tenant-a");
  EXPECT_EQ(message.header("once-intent-scope"), "test.deposit/L-1");
  EXPECT_EQ(message.header("once-intent-key"), "D-1");
  EXPECT_EQ(message.header("traceparent"), env.trace_parent);
  EXPECT_EQ(message.message_id.size(), 36U);
}

TYPED_TEST_P(SemanticsTable, RepeatWithSameFingerprintReturnPriorReplaysTheStoredResultAndWritesNothing) {
  auto const first = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1"));
  auto const repeat = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1"));
  ASSERT_TRUE(first.has_value() && repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_TRUE(repeat->is_replay());
  EXPECT_EQ(repeat->result(), first->result());
  EXPECT_EQ(repeat->aggregate_version(), 1);
  EXPECT_EQ(this->version_of("L-1"), 1);
  EXPECT_EQ(this->under_test->outbox_size(), 1U);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 100);
}

TYPED_TEST_P(SemanticsTable, RepeatWithSameFingerprintReturnPriorReplaysTheFirstResultEvenAfterTheAggregateMoved) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-2", 50}, envelope_with("k2")).has_value());
  auto const repeat = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_EQ(repeat->result().balance, 100);  // as answered the first time, not the current 150
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 150);
}

TYPED_TEST_P(SemanticsTable, RepeatWithSameFingerprintNoOpAcknowledgesWithTheCurrentRepresentation) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  auto const first = this->dispatcher.dispatch(rename{"L-1", "savings"}, envelope_with("k1"));
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-2", 50}, envelope_with("k2")).has_value());
  auto const repeat = this->dispatcher.dispatch(rename{"L-1", "savings"}, envelope_with("k1"));
  ASSERT_TRUE(first.has_value() && repeat.has_value());
  EXPECT_EQ(first->kind(), outcome_kind::applied);
  EXPECT_EQ(repeat->kind(), outcome_kind::no_op);
  EXPECT_EQ(repeat->result().balance, 150);  // current, not the stored 100
  EXPECT_EQ(repeat->result().name, "savings");
  EXPECT_EQ(repeat->aggregate_version(), 3);
  EXPECT_EQ(this->version_of("L-1"), 3);
  EXPECT_EQ(this->under_test->outbox_size(), 3U);
}

TYPED_TEST_P(SemanticsTable, RepeatWithSameFingerprintRejectConflictRefusesNamingTheFirstAttempt) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(close_ledger{"L-1", "moving"}, envelope_with("k1")).has_value());
  auto const repeat = this->dispatcher.dispatch(close_ledger{"L-1", "moving"}, envelope_with("k1"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::duplicate_rejected);
  ASSERT_TRUE(repeat->first().has_value());
  EXPECT_EQ(repeat->first()->command_type, "test.close_ledger");
  EXPECT_EQ(repeat->first()->aggregate_id, "L-1");
  EXPECT_EQ(repeat->first()->aggregate_version, 2);
  EXPECT_EQ(repeat->first()->recorded_at, this->clock.now());
  EXPECT_EQ(this->version_of("L-1"), 2);
  EXPECT_EQ(this->under_test->outbox_size(), 2U);
}

TYPED_TEST_P(SemanticsTable, RepeatWithSameFingerprintEnvelopeMetadataDoesNotMakeANewIntent) {
  auto first_envelope = envelope_with("k1");
  auto retry_envelope = envelope_with("k1");
  retry_envelope.correlation_id = "another";
  retry_envelope.causation_id = "a-retry";
  retry_envelope.principal = "another-session";
  retry_envelope.trace_parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  retry_envelope.received_at += std::chrono::minutes{5};
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 5}, first_envelope).has_value());
  auto const repeat = this->dispatcher.dispatch(withdraw{"L-1", 5}, retry_envelope);
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
}

TYPED_TEST_P(SemanticsTable, RepeatOfARejectionReturnPriorReplaysTheRejectionEvenWhenItWouldNowSucceed) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 10}, envelope_with("k0")).has_value());
  auto const first = this->dispatcher.dispatch(withdraw{"L-1", 50}, envelope_with("k1"));
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-2", 100}, envelope_with("k2")).has_value());
  auto const repeat = this->dispatcher.dispatch(withdraw{"L-1", 50}, envelope_with("k1"));
  ASSERT_TRUE(first.has_value() && repeat.has_value());
  EXPECT_EQ(first->kind(), outcome_kind::rejected);
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  ASSERT_TRUE(repeat->has_rejection());
  EXPECT_EQ(repeat->refusal(), first->refusal());
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 110);
}

TYPED_TEST_P(SemanticsTable, RepeatOfARejectionNoOpReplaysTheRejection) {
  auto const first = this->dispatcher.dispatch(rename{"L-1", "savings"}, envelope_with("k1"));
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 10}, envelope_with("k0")).has_value());
  auto const repeat = this->dispatcher.dispatch(rename{"L-1", "savings"}, envelope_with("k1"));
  ASSERT_TRUE(first.has_value() && repeat.has_value());
  EXPECT_EQ(first->kind(), outcome_kind::rejected);
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_EQ(repeat->refusal().code, "ledger_not_found");
  EXPECT_EQ(this->ledger_state_of("L-1")->name, "");
}

TYPED_TEST_P(SemanticsTable, RepeatOfARejectionRejectConflictReplaysTheRejectionRatherThanRefusingAsDuplicate) {
  auto const first = this->dispatcher.dispatch(close_ledger{"L-1", "moving"}, envelope_with("k1"));
  auto const repeat = this->dispatcher.dispatch(close_ledger{"L-1", "moving"}, envelope_with("k1"));
  ASSERT_TRUE(first.has_value() && repeat.has_value());
  EXPECT_EQ(first->kind(), outcome_kind::rejected);
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_EQ(repeat->refusal().code, "ledger_not_found");
}

TYPED_TEST_P(SemanticsTable, RepeatWithDifferentFingerprintIsAnIntentConflictUnderReturnPrior) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k1")).has_value());
  auto const conflict = this->dispatcher.dispatch(deposit{"L-1", "D-1", 999}, envelope_with("k1"));
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->kind(), outcome_kind::intent_conflict);
  ASSERT_TRUE(conflict->first().has_value());
  EXPECT_EQ(conflict->first()->command_type, "test.deposit");
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 100);
  EXPECT_EQ(this->under_test->outbox_size(), 1U);
}

TYPED_TEST_P(SemanticsTable, RepeatWithDifferentFingerprintIsAnIntentConflictUnderNoOp) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(rename{"L-1", "savings"}, envelope_with("k1")).has_value());
  auto const conflict = this->dispatcher.dispatch(rename{"L-1", "checking"}, envelope_with("k1"));
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->kind(), outcome_kind::intent_conflict);
  EXPECT_EQ(this->ledger_state_of("L-1")->name, "savings");
  EXPECT_EQ(this->version_of("L-1"), 2);
}

TYPED_TEST_P(SemanticsTable, RepeatWithDifferentFingerprintIsAnIntentConflictUnderRejectConflict) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(close_ledger{"L-1", "moving"}, envelope_with("k1")).has_value());
  auto const conflict = this->dispatcher.dispatch(close_ledger{"L-1", "fraud"}, envelope_with("k1"));
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->kind(), outcome_kind::intent_conflict);
  EXPECT_EQ(this->under_test->outbox_size(), 2U);
}

TYPED_TEST_P(SemanticsTable, RepeatWithDifferentFingerprintIsAnIntentConflictAfterARejectionToo) {
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 50}, envelope_with("k1")).has_value());
  auto const conflict = this->dispatcher.dispatch(withdraw{"L-1", 60}, envelope_with("k1"));
  ASSERT_TRUE(conflict.has_value());
  EXPECT_EQ(conflict->kind(), outcome_kind::intent_conflict);
}

TYPED_TEST_P(SemanticsTable, DuplicateInFlightWaitsForTheBoundThenTimesOut) {
  withdraw const command{"L-1", 5};
  auto const intent = this->dispatcher.intent_of(command, envelope_with("k1"));
  ASSERT_TRUE(intent.has_value());
  auto held = this->store().claim(
      claim_for(intent->untyped(), once::application::fingerprint_of(command), this->clock.now()), short_waits().waits);
  ASSERT_EQ(held->state, once::application::claim_result::status::claimed);
  auto const started = std::chrono::steady_clock::now();
  auto const duplicate = this->dispatcher.dispatch(command, envelope_with("k1"));
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_EQ(duplicate->kind(), outcome_kind::in_flight_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - started, short_waits().waits.in_flight);
  EXPECT_EQ(this->metrics.in_flight_waits(), 1);
}

TYPED_TEST_P(SemanticsTable, DuplicateInFlightGetsTheFirstAttemptsAnswerWhenItFinishesWithinTheBound) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  withdraw const command{"L-1", 5};
  auto const intent = this->dispatcher.intent_of(command, envelope_with("k1"));
  auto const fingerprint = once::application::fingerprint_of(command);
  auto held = this->store().claim(claim_for(intent->untyped(), fingerprint, this->clock.now()), short_waits().waits);
  ASSERT_EQ(held->state, once::application::claim_result::status::claimed);

  std::optional<once::application::result<once::application::command_dispatcher<ledger>::outcome_of<withdraw>>>
      duplicate;
  std::thread waiter([&] { duplicate.emplace(this->dispatcher.dispatch(command, envelope_with("k1"))); });
  // The first attempt finishes while the duplicate waits (the bound is 50 ms).
  once::application::command_effects effects;
  effects.expected_version = 1;
  effects.record = {intent->untyped(),
                    "test.withdraw",
                    fingerprint,
                    {"test.ledger", "L-1", "tenant-a"},
                    1,
                    once::application::intent_status::applied,
                    R"({"balance":95,"name":"","operations":2})",
                    this->clock.now(),
                    std::nullopt};
  ASSERT_TRUE(held->claim->commit(effects).has_value());
  waiter.join();
  ASSERT_TRUE(duplicate.has_value() && duplicate->has_value());
  EXPECT_EQ((*duplicate)->kind(), outcome_kind::replayed);
  EXPECT_EQ((*duplicate)->result().balance, 95);
}

TYPED_TEST_P(SemanticsTable, DuplicateInFlightAbandonedFirstAttemptLeavesTheIntentNew) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  withdraw const command{"L-1", 5};
  auto const intent = this->dispatcher.intent_of(command, envelope_with("k1"));
  {
    auto held =
        this->store().claim(claim_for(intent->untyped(), once::application::fingerprint_of(command), this->clock.now()),
                            short_waits().waits);
    ASSERT_EQ(held->state, once::application::claim_result::status::claimed);
  }  // dropped without commit, as a crashed worker's transaction is
  auto const outcome = this->dispatcher.dispatch(command, envelope_with("k1"));
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->kind(), outcome_kind::applied);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 95);
}

TYPED_TEST_P(SemanticsTable, RepeatAfterRetentionIsStillReplayedJustBeforeTheRecordExpires) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1")).has_value());
  this->clock.advance(std::chrono::hours{24} - std::chrono::seconds{1});
  auto const repeat = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 95);
}

TYPED_TEST_P(SemanticsTable, RepeatAfterRetentionIsHandledAsNewOnceTheRecordExpired) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1")).has_value());
  this->clock.advance(std::chrono::hours{24});
  auto const late = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1"));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->kind(), outcome_kind::applied);  // documented: the key no longer protects
  EXPECT_EQ(this->ledger_state_of("L-1")->balance, 90);
}

TYPED_TEST_P(SemanticsTable, RepeatAfterRetentionIsRefusedWhenTheAggregatesOwnStateRefusesIt) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 5}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1")).has_value());
  this->clock.advance(std::chrono::hours{48});
  auto const late = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1"));
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->kind(), outcome_kind::rejected);
  EXPECT_EQ(late->refusal().code, "insufficient_funds");
}

TYPED_TEST_P(SemanticsTable, IntentIdentityTheSameClientKeyFromAnotherTenantIsAnotherIntent) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0", "tenant-a")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0", "tenant-b")).has_value());
  auto const a = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("shared", "tenant-a"));
  auto const b = this->dispatcher.dispatch(withdraw{"L-1", 7}, envelope_with("shared", "tenant-b"));
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->kind(), outcome_kind::applied);
  EXPECT_EQ(b->kind(), outcome_kind::applied);  // not a conflict with tenant-a's use of the key
}

TYPED_TEST_P(SemanticsTable, IntentIdentityAggregatesBelongToTheirTenant) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k", "tenant-a")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 7}, envelope_with("k", "tenant-b")).has_value());
  EXPECT_EQ(this->ledger_state_of("L-1", "tenant-a")->balance, 100);
  EXPECT_EQ(this->ledger_state_of("L-1", "tenant-b")->balance, 7) << "tenant-b's L-1 is not tenant-a's";
  EXPECT_EQ(this->version_of("L-1", "tenant-b"), 1);
}

TYPED_TEST_P(SemanticsTable, IntentIdentityTheSameClientKeyOnAnotherCommandTypeIsAnotherIntent) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k0")).has_value());
  auto const withdrawn = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("same"));
  auto const closed = this->dispatcher.dispatch(close_ledger{"L-1", "done"}, envelope_with("same"));
  ASSERT_TRUE(withdrawn.has_value() && closed.has_value());
  EXPECT_EQ(withdrawn->kind(), outcome_kind::applied);
  EXPECT_EQ(closed->kind(), outcome_kind::applied);
}

TYPED_TEST_P(SemanticsTable, IntentIdentityAScopeThatEmbedsTheParentMakesTheKeyPerParent) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 1}, envelope_with("k0")).has_value());
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-2", "D-1", 1}, envelope_with("k0")).has_value());
  auto const one = this->dispatcher.dispatch(rename{"L-1", "a"}, envelope_with("same"));
  auto const two = this->dispatcher.dispatch(rename{"L-2", "b"}, envelope_with("same"));
  ASSERT_TRUE(one.has_value() && two.has_value());
  EXPECT_EQ(one->kind(), outcome_kind::applied);
  EXPECT_EQ(two->kind(), outcome_kind::applied);
  EXPECT_EQ(one->intent().scope, "test.rename/L-1");
}

TYPED_TEST_P(SemanticsTable, IntentIdentityABusinessKeyedCommandIsTheSameIntentWhateverTheClientKey) {
  ASSERT_TRUE(this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("first-try")).has_value());
  auto const repeat = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("second-try"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), outcome_kind::replayed);
  EXPECT_EQ(repeat->intent().key, "D-1");
}

TYPED_TEST_P(SemanticsTable, IntentIdentityAMissingClientKeyIsInvalidAndClaimsNothing) {
  auto const outcome = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with(std::nullopt));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, once::application::error_code::invalid_argument);
  EXPECT_EQ(this->under_test->intent_count(), 0U);
  EXPECT_EQ(this->metrics.failures(), 1);
}

TYPED_TEST_P(SemanticsTable, IntentIdentityAnOversizedKeyIsInvalid) {
  auto const accepted = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with(std::string(255, 'k')));
  auto const refused = this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with(std::string(256, 'k')));
  EXPECT_TRUE(accepted.has_value());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, once::application::error_code::invalid_argument);
}

TYPED_TEST_P(SemanticsTable, IntentIdentityAnEnvelopeWithoutTenantIsInvalid) {
  auto const outcome = this->dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k", ""));
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code, once::application::error_code::invalid_argument);
}

TYPED_TEST_P(SemanticsTable, IntentIdentityLookupFindsTheRecordOfATypedIntent) {
  ASSERT_TRUE(this->dispatcher.dispatch(withdraw{"L-1", 5}, envelope_with("k1")).has_value());
  auto const intent = this->dispatcher.intent_of(withdraw{"L-1", 5}, envelope_with("k1"));
  auto const record = this->dispatcher.lookup(*intent);
  ASSERT_TRUE(record.has_value() && record->has_value());
  EXPECT_EQ((*record)->status, once::application::intent_status::rejected);
  EXPECT_EQ((*record)->command_type, "test.withdraw");
}

REGISTER_TYPED_TEST_SUITE_P(
    SemanticsTable, FirstTimeExecutesAndRecordsStateIntentAndOutboxTogether,
    FirstTimeRejectionIsRecordedWithoutStateOrOutbox, FirstTimeOutboxMessageCarriesTheEventAndTheIntent,
    RepeatWithSameFingerprintReturnPriorReplaysTheStoredResultAndWritesNothing,
    RepeatWithSameFingerprintReturnPriorReplaysTheFirstResultEvenAfterTheAggregateMoved,
    RepeatWithSameFingerprintNoOpAcknowledgesWithTheCurrentRepresentation,
    RepeatWithSameFingerprintRejectConflictRefusesNamingTheFirstAttempt,
    RepeatWithSameFingerprintEnvelopeMetadataDoesNotMakeANewIntent,
    RepeatOfARejectionReturnPriorReplaysTheRejectionEvenWhenItWouldNowSucceed,
    RepeatOfARejectionNoOpReplaysTheRejection,
    RepeatOfARejectionRejectConflictReplaysTheRejectionRatherThanRefusingAsDuplicate,
    RepeatWithDifferentFingerprintIsAnIntentConflictUnderReturnPrior,
    RepeatWithDifferentFingerprintIsAnIntentConflictUnderNoOp,
    RepeatWithDifferentFingerprintIsAnIntentConflictUnderRejectConflict,
    RepeatWithDifferentFingerprintIsAnIntentConflictAfterARejectionToo, DuplicateInFlightWaitsForTheBoundThenTimesOut,
    DuplicateInFlightGetsTheFirstAttemptsAnswerWhenItFinishesWithinTheBound,
    DuplicateInFlightAbandonedFirstAttemptLeavesTheIntentNew,
    RepeatAfterRetentionIsStillReplayedJustBeforeTheRecordExpires,
    RepeatAfterRetentionIsHandledAsNewOnceTheRecordExpired,
    RepeatAfterRetentionIsRefusedWhenTheAggregatesOwnStateRefusesIt,
    IntentIdentityTheSameClientKeyFromAnotherTenantIsAnotherIntent, IntentIdentityAggregatesBelongToTheirTenant,
    IntentIdentityTheSameClientKeyOnAnotherCommandTypeIsAnotherIntent,
    IntentIdentityAScopeThatEmbedsTheParentMakesTheKeyPerParent,
    IntentIdentityABusinessKeyedCommandIsTheSameIntentWhateverTheClientKey,
    IntentIdentityAMissingClientKeyIsInvalidAndClaimsNothing, IntentIdentityAnOversizedKeyIsInvalid,
    IntentIdentityAnEnvelopeWithoutTenantIsInvalid, IntentIdentityLookupFindsTheRecordOfATypedIntent);

}  // namespace once_tests
