// External steps (once/application/external_steps.hpp) stated once and run
// against every store adapter:
//
//   struct my_factory { static std::unique_ptr<steps_under_test> make(); };
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, ExternalSteps, my_factory);
//
// The desk books on every call, so "exactly one booking per reference" is
// what the dispatcher and the recovery worker prove, not the desk.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/recovery_worker.hpp>

#include "support/transfer_desk.hpp"

namespace once_tests {

class steps_under_test {
 public:
  virtual ~steps_under_test() = default;
  virtual once::application::command_store& store() = 0;
  virtual once::application::external_step_store& steps() = 0;
  virtual std::size_t exception_count() = 0;
};

template <class Factory>
class ExternalSteps : public ::testing::Test {
 protected:
  using clock_type = once::application::manual_clock;

  ExternalSteps() : under_test(Factory::make()) { rebuild({}); }

  // A dispatcher (as a restarted process would build it) with these step options.
  void rebuild(once::application::external_step_options steps) {
    once::application::dispatcher_options options;
    options.steps = steps;
    dispatcher = std::make_unique<once::application::command_dispatcher<transfer>>(
        under_test->store(), once::application::dispatcher_services{&clock, nullptr, nullptr, &under_test->steps()},
        options);
    dispatcher->connect(desk);
    once::application::recovery_options recovery;
    recovery.lease = steps.lease;
    worker = std::make_unique<once::application::recovery_worker>(
        under_test->steps(), std::vector<once::application::step_recoverer*>{dispatcher.get()}, recovery, &clock);
  }

  auto send(std::string transfer_id, std::int64_t amount, std::string key) {
    once::domain::envelope env;
    env.tenant = "tenant-a";
    env.client_key = std::move(key);
    return dispatcher->dispatch(send_money{std::move(transfer_id), amount}, env);
  }
  static std::string reference_of(std::string const& key) {
    return once::application::external_reference({"tenant-a", std::string{send_money::type_name}, key});
  }
  std::size_t recover() {
    auto round = worker->run_round();
    EXPECT_TRUE(round.has_value()) << round.error().message;
    return round.has_value() ? *round : 0;
  }
  std::int64_t recovered(once::application::recovery_result result) {
    return worker->counters().by_result[static_cast<std::size_t>(result)].load();
  }

  std::unique_ptr<steps_under_test> under_test;
  clock_type clock;
  transfer_desk desk;
  std::unique_ptr<once::application::command_dispatcher<transfer>> dispatcher;
  std::unique_ptr<once::application::recovery_worker> worker;
};

TYPED_TEST_SUITE_P(ExternalSteps);

TYPED_TEST_P(ExternalSteps, ANewIntentCallsOnceAndARepeatIsAnsweredWithoutCalling) {
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_EQ(first->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(first->result().status, "completed");
  EXPECT_EQ(first->result().booking_no, 1);
  EXPECT_EQ(first->result().reference, this->reference_of("k-1"));
  auto repeat = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->result(), first->result());
  EXPECT_EQ(this->desk.calls(), 1);
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 1U);
}

TYPED_TEST_P(ExternalSteps, AConclusionWritesTheEntriesItsEventsPutBesideTheRoot) {
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  once::application::aggregate_ref const ref{std::string{transfer::type_name}, "T-1", "tenant-a"};
  auto const entry = this->under_test->store().read_entity(ref, "bookings", "1");
  ASSERT_TRUE(entry.has_value()) << entry.error().message;
  ASSERT_TRUE(entry->has_value()) << "the conclusion's entry was not written";
  EXPECT_NE(entry->value().find(this->reference_of("k-1")), std::string::npos) << entry->value();
  EXPECT_FALSE(this->under_test->store().read_entity(ref, "bookings", "2")->has_value());
}

TYPED_TEST_P(ExternalSteps, ACallWhoseAnswerIsLostLeavesTheIntentUnknownUntilRecoveryFindsTheBooking) {
  this->desk.next(transfer_desk::fault::book_and_lose_the_answer);
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->result().status, "unknown");
  auto repeat = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->result().status, "unknown");
  EXPECT_EQ(this->desk.calls(), 1) << "a repeat of an unknown intent never calls";

  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::recovered), 1);
  auto settled = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->result().status, "completed");
  EXPECT_EQ(settled->result().booking_no, 1);
  EXPECT_EQ(this->desk.calls(), 1);
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 1U);
}

TYPED_TEST_P(ExternalSteps, RecoveryCallsAgainOnlyWhenTheOtherSideHoldsNothingAndTheGraceHasPassed) {
  this->desk.next(transfer_desk::fault::lose_before_booking);
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->result().status, "unknown");

  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::waiting), 1) << "inside the grace: no second call";
  EXPECT_EQ(this->desk.calls(), 1);
  EXPECT_EQ(this->recover(), 0U) << "a waiting step is not due before its grace ends";

  this->clock.advance(std::chrono::seconds{11});  // past the lease and the grace after it
  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::recalled), 1);
  EXPECT_EQ(this->desk.calls(), 2);
  auto settled = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->result().status, "completed");
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 1U);
}

TYPED_TEST_P(ExternalSteps, AHolderThatNeverCalledLeavesAPendingStepThatRecoveryTakesOverAfterItsLease) {
  once::application::external_step_options no_time_to_call;
  no_time_to_call.lease = std::chrono::milliseconds{0};  // the lease is over before the call could be sent
  this->rebuild(no_time_to_call);
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->result().status, "pending");
  EXPECT_EQ(this->desk.calls(), 0);

  this->rebuild({});
  this->clock.advance(std::chrono::seconds{6});  // past the grace after the dead holder's lease
  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->desk.lookups(), 1) << "recovery asks before it calls";
  EXPECT_EQ(this->recovered(once::application::recovery_result::recalled), 1);
  auto settled = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->result().status, "completed");
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 1U);
}

TYPED_TEST_P(ExternalSteps, AStepWhoseLeaseHoldsIsNotTakenOver) {
  once::application::external_step_options no_time_to_call;
  no_time_to_call.lease = std::chrono::milliseconds{0};
  this->rebuild(no_time_to_call);
  ASSERT_TRUE(this->send("T-1", 100, "k-1").has_value());
  // The same step as another process would hold it: claimed a moment ago with a long lease.
  this->clock.advance(std::chrono::milliseconds{1});
  auto taken = this->under_test->steps().take_over("elsewhere", this->clock.now(), std::chrono::minutes{1}, 10);
  ASSERT_TRUE(taken.has_value());
  ASSERT_EQ(taken->size(), 1U);
  this->rebuild({});
  EXPECT_EQ(this->recover(), 0U);
  EXPECT_EQ(this->desk.calls(), 0);
}

TYPED_TEST_P(ExternalSteps, ADoubleBookingOnTheOtherSideGoesToTheExceptionQueue) {
  this->desk.next(transfer_desk::fault::book_and_lose_the_answer);
  ASSERT_TRUE(this->send("T-1", 100, "k-1").has_value());
  (void)this->desk.book_directly(this->reference_of("k-1"), 100);  // someone booked it a second time
  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::needs_review), 1);
  EXPECT_EQ(this->under_test->exception_count(), 1U);
  auto settled = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(settled.has_value());
  EXPECT_EQ(settled->result().status, "needs_review");
  EXPECT_EQ(this->recover(), 0U) << "a step in review is not recovered again";
}

TYPED_TEST_P(ExternalSteps, ARefusalIsConcludedAndReplayedWithoutASecondCall) {
  this->desk.next(transfer_desk::fault::refuse);
  auto first = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->result().status, "failed");
  auto repeat = this->send("T-1", 100, "k-1");
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->result().status, "failed");
  EXPECT_EQ(this->desk.calls(), 1);
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 0U);
}

TYPED_TEST_P(ExternalSteps, AnOtherSideThatCannotBeAskedIsAskedAgainLaterWithoutACall) {
  this->desk.next(transfer_desk::fault::book_and_lose_the_answer);
  ASSERT_TRUE(this->send("T-1", 100, "k-1").has_value());
  this->desk.next(transfer_desk::fault::unreachable_lookup);
  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::not_asked), 1);
  EXPECT_EQ(this->desk.calls(), 1);
  this->clock.advance(std::chrono::seconds{2});
  EXPECT_EQ(this->recover(), 1U);
  EXPECT_EQ(this->recovered(once::application::recovery_result::recovered), 1);
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 1U);
}

TYPED_TEST_P(ExternalSteps, ADomainRefusalBeforeTheCallCallsNothing) {
  auto first = this->send("T-1", 0, "k-1");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->kind(), once::domain::outcome_kind::rejected);
  EXPECT_EQ(this->desk.calls(), 0);
  EXPECT_EQ(this->recover(), 0U);
}

TYPED_TEST_P(ExternalSteps, TheExceptionQueueShowsAndResolvesATenantsOwnEntriesOnly) {
  this->desk.next(transfer_desk::fault::book_and_lose_the_answer);
  ASSERT_TRUE(this->send("T-1", 100, "k-1").has_value());
  (void)this->desk.book_directly(this->reference_of("k-1"), 100);
  EXPECT_EQ(this->recover(), 1U);
  auto& steps = this->under_test->steps();
  auto const mine = steps.exceptions(std::string{"tenant-a"}, true);
  ASSERT_TRUE(mine.has_value());
  ASSERT_EQ(mine->size(), 1U);
  auto const& entry = mine->front();
  EXPECT_EQ(entry.reason, "double_booking");
  EXPECT_EQ(entry.subject, this->reference_of("k-1"));
  EXPECT_NE(entry.evidence.find("\"records\""), std::string::npos) << entry.evidence;
  EXPECT_TRUE(steps.exceptions(std::string{"tenant-b"}, false)->empty());
  EXPECT_FALSE(steps.resolve_exception(entry.id, std::string{"tenant-b"}, "not mine")->has_value());
  auto const resolved = steps.resolve_exception(entry.id, std::string{"tenant-a"}, "refunded booking 2");
  ASSERT_TRUE(resolved.has_value() && resolved->has_value());
  EXPECT_EQ((*resolved)->status, "resolved");
  EXPECT_EQ((*resolved)->note, "refunded booking 2");
  EXPECT_TRUE(steps.exceptions(std::nullopt, true)->empty());
  auto const summary = steps.summarize();
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(summary->open_exceptions, 0);
  EXPECT_EQ(summary->pending + summary->unknown, 0);
}

TYPED_TEST_P(ExternalSteps, CallsThatKeepEndingUnknownGoToTheExceptionQueueInsteadOfBeingRepeatedForever) {
  for (int i = 0; i < 10; ++i) this->desk.next(transfer_desk::fault::lose_before_booking);
  ASSERT_TRUE(this->send("T-1", 100, "k-1").has_value());
  for (int round = 0; round < 10; ++round) {
    this->clock.advance(std::chrono::seconds{11});  // past every lease and grace
    (void)this->recover();
  }
  EXPECT_EQ(this->desk.calls(), 5) << "max_calls (5) calls, then no more";
  EXPECT_EQ(this->recovered(once::application::recovery_result::needs_review), 1);
  auto const queued = this->under_test->steps().exceptions(std::nullopt, true);
  ASSERT_TRUE(queued.has_value());
  ASSERT_EQ(queued->size(), 1U);
  EXPECT_EQ(queued->front().reason, "unresolved");
  EXPECT_EQ(this->desk.bookings_of(this->reference_of("k-1")), 0U);
}

REGISTER_TYPED_TEST_SUITE_P(ExternalSteps, AConclusionWritesTheEntriesItsEventsPutBesideTheRoot,
                            TheExceptionQueueShowsAndResolvesATenantsOwnEntriesOnly,
                            CallsThatKeepEndingUnknownGoToTheExceptionQueueInsteadOfBeingRepeatedForever,
                            ANewIntentCallsOnceAndARepeatIsAnsweredWithoutCalling,
                            ACallWhoseAnswerIsLostLeavesTheIntentUnknownUntilRecoveryFindsTheBooking,
                            RecoveryCallsAgainOnlyWhenTheOtherSideHoldsNothingAndTheGraceHasPassed,
                            AHolderThatNeverCalledLeavesAPendingStepThatRecoveryTakesOverAfterItsLease,
                            AStepWhoseLeaseHoldsIsNotTakenOver, ADoubleBookingOnTheOtherSideGoesToTheExceptionQueue,
                            ARefusalIsConcludedAndReplayedWithoutASecondCall,
                            AnOtherSideThatCannotBeAskedIsAskedAgainLaterWithoutACall,
                            ADomainRefusalBeforeTheCallCallsNothing);

}  // namespace once_tests
