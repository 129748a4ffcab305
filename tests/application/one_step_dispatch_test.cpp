// One-step commits on the memory store, whose commit_decided is the port's
// default (claim, compare, commit).
#include <once/application/recent_intents_store.hpp>
#include <once/memory/memory_command_store.hpp>

#include "application/one_step_contract.hpp"

namespace once_tests {

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, OneStepDispatch, memory_store_factory);

namespace {

TEST(OneStepRecall, ARepeatTheStoreRemembersIsAnsweredWithoutDecidingOrAskingTheStoreBehindIt) {
  once::application::manual_clock clock{harness_start()};
  once::memory::memory_command_store memory{clock};
  counting_store behind{memory};
  once::application::recent_intents_store remembering{behind, 100};
  once::application::command_dispatcher<ledger> dispatcher{remembering, {&clock}, short_waits()};
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  behind.reset();

  auto const repeat = dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->result().balance, 100);
  EXPECT_EQ(behind.decided_commits, 0);
  EXPECT_EQ(behind.claims, 0);
  EXPECT_EQ(behind.reads, 0);
}

}  // namespace
}  // namespace once_tests
