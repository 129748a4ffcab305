#include <once/application/contention_hints.hpp>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using namespace std::chrono_literals;
using once::application::contention_hints;

TEST(ContentionHints, MarkAnAggregateHotAfterAConflictUntilTheMemoryFades) {
  contention_hints hints{1000ms};
  once::application::aggregate_ref const hot{"test.ledger", "L-1"};
  auto const now = std::chrono::steady_clock::now();
  EXPECT_FALSE(hints.is_hot(hot, now));
  hints.conflicted(hot, now);
  EXPECT_TRUE(hints.is_hot(hot, now + 999ms));
  EXPECT_FALSE(hints.is_hot(hot, now + 1001ms));
}

TEST(ContentionHints, KeepOtherAggregatesCold) {
  contention_hints hints;
  auto const now = std::chrono::steady_clock::now();
  hints.conflicted({"test.ledger", "L-1"}, now);
  int hot_others = 0;
  for (int i = 2; i < 200; ++i) hot_others += hints.is_hot({"test.ledger", "L-" + std::to_string(i)}, now) ? 1 : 0;
  EXPECT_LE(hot_others, 1);  // a hash collision at most
}

}  // namespace
}  // namespace once_tests
