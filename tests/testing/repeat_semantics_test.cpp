// The automatic repeat-semantics check: passes on a correct table, fails
// when a command is left unchecked or a sample cannot even form its intent.
#include <once/testing/repeat_semantics.hpp>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::testing::repeat_semantics;

TEST(RepeatSemanticsCheck, PassesForEveryPolicyOfTheTestLedger) {
  repeat_semantics<ledger>()
      .sample(deposit{"L-1", "D-1", 100})
      .sample(withdraw{"L-1", 10}, {deposited{"D-0", 50}})
      .sample(withdraw{"L-1", 99}, {deposited{"D-0", 50}})  // rejected first time
      .sample(rename{"L-1", "main"}, {deposited{"D-0", 50}})
      .sample(close_ledger{"L-1", "done"}, {deposited{"D-0", 50}})
      .verify();
}

TEST(RepeatSemanticsCheck, FailsWhenACommandOfTheTableHasNoSample) {
  EXPECT_NONFATAL_FAILURE(repeat_semantics<ledger>()
                              .sample(deposit{"L-1", "D-1", 100})
                              .sample(withdraw{"L-1", 10}, {deposited{"D-0", 50}})
                              .sample(rename{"L-1", "main"}, {deposited{"D-0", 50}})
                              .verify(),
                          "test.close_ledger is in test.ledger's command table but has no sample");
}

once::domain::envelope without_key() {
  auto env = once::testing::sample_envelope();
  env.client_key.reset();
  return env;
}

TEST(RepeatSemanticsCheck, FailsWhenTheSampleHasNoIntentKey) {
  EXPECT_FATAL_FAILURE(repeat_semantics<ledger>()
                           .sample(deposit{"L-1", "D-1", 100})
                           .sample(withdraw{"L-1", 10}, {}, without_key())
                           .sample(rename{"L-1", "main"}, {deposited{"D-0", 50}})
                           .sample(close_ledger{"L-1", "done"}, {deposited{"D-0", 50}})
                           .verify(),
                       "needs an intent key");
}

}  // namespace
}  // namespace once_tests
