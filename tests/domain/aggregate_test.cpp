// What the aggregate concept reads beyond decide and apply: where its events
// are published.
#include <once/domain/aggregate.hpp>

#include <gtest/gtest.h>

#include "support/ledger.hpp"

namespace once_tests {
namespace {

struct published_ledger : ledger {
  static constexpr std::string_view topic = "ledgers.events";
};

TEST(Aggregate, PublishesItsEventsToItsTypeNameUnlessItNamesATopic) {
  EXPECT_EQ(once::domain::topic_of<ledger>(), "test.ledger");
  EXPECT_EQ(once::domain::topic_of<published_ledger>(), "ledgers.events");
}

}  // namespace
}  // namespace once_tests
