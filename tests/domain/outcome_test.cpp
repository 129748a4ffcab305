#include <once/domain/outcome.hpp>

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using once::domain::intent_key;
using once::domain::outcome;
using once::domain::outcome_kind;

intent_key const intent{"t", "test.scope", "k-1"};

TEST(AnOutcome, IsMadeByTheFactoryNamedForItsKind) {
  EXPECT_EQ(outcome<int>::applied(intent, 1, 1).kind(), outcome_kind::applied);
  EXPECT_EQ(outcome<int>::rejected(intent, {"no", "no"}).kind(), outcome_kind::rejected);
  EXPECT_EQ(outcome<int>::replayed(intent, 1, 1).kind(), outcome_kind::replayed);
  EXPECT_EQ(outcome<int>::no_op(intent, 1, 1).kind(), outcome_kind::no_op);
  EXPECT_EQ(outcome<int>::duplicate_rejected(intent, {}).kind(), outcome_kind::duplicate_rejected);
  EXPECT_EQ(outcome<int>::intent_conflict(intent, {}).kind(), outcome_kind::intent_conflict);
  EXPECT_EQ(outcome<int>::in_flight_timeout(intent).kind(), outcome_kind::in_flight_timeout);
}

// Reading what an outcome does not hold is a programming error that says so,
// never undefined behaviour.
TEST(AnOutcome, RefusesToReadAResultOrARefusalItDoesNotHold) {
  auto const refused = outcome<std::string>::rejected(intent, {"insufficient_funds", "balance too low"});
  EXPECT_FALSE(refused.has_result());
  EXPECT_THROW((void)refused.result(), std::logic_error);
  auto const applied = outcome<std::string>::applied(intent, "done", 2);
  EXPECT_EQ(applied.result(), "done");
  EXPECT_THROW((void)applied.refusal(), std::logic_error);
  EXPECT_THROW((void)outcome<std::string>::in_flight_timeout(intent).result(), std::logic_error);
}

}  // namespace
}  // namespace once_tests
