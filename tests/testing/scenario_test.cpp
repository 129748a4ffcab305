// The Given/When/Then fixture reports what differs, so it can fail.
#include <once/testing/scenario.hpp>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::testing::scenario;

TEST(Scenario, PassesWhenEventsResultAndStateMatch) {
  scenario<ledger>()
      .given({deposited{"D-1", 100}})
      .when(withdraw{"L-1", 40})
      .then({withdrawn{40}})
      .then_result(ledger_view{"", 60, 2})
      .then_state(ledger_state{"", 60, 2, false});
}

TEST(Scenario, ReportsDifferentEvents) {
  EXPECT_NONFATAL_FAILURE(
      scenario<ledger>().given({deposited{"D-1", 100}}).when(withdraw{"L-1", 40}).then({withdrawn{41}}),
      "events differ");
}

TEST(Scenario, ReportsADifferentResult) {
  EXPECT_NONFATAL_FAILURE(
      scenario<ledger>().given({deposited{"D-1", 100}}).when(withdraw{"L-1", 40}).then_result(ledger_view{"", 61, 2}),
      "results differ");
}

TEST(Scenario, ReportsAnAcceptedCommandWhereARejectionWasExpected) {
  EXPECT_NONFATAL_FAILURE(
      scenario<ledger>().given({deposited{"D-1", 100}}).when(withdraw{"L-1", 40}).then_rejected("insufficient_funds"),
      "expected rejection 'insufficient_funds'");
}

TEST(Scenario, ReportsTheWrongRejectionCode) {
  EXPECT_NONFATAL_FAILURE(scenario<ledger>().when(withdraw{"L-1", 40}).then_rejected("insufficient_funds"),
                          "but got 'ledger_not_found'");
}

}  // namespace
}  // namespace once_tests
