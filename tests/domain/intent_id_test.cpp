#include <once/domain/intent_id.hpp>

#include <unordered_set>

#include <gtest/gtest.h>

#include "support/sample_types.hpp"

namespace once_tests {
namespace {

using once::domain::intent_id;
using once::domain::intent_key;

TEST(IntentId, IsEqualOnlyWhenTenantScopeAndKeyAllMatch) {
  intent_id<top_up> const a{"t1", "s", "k"};
  EXPECT_EQ(a, (intent_id<top_up>{"t1", "s", "k"}));
  EXPECT_NE(a, (intent_id<top_up>{"t2", "s", "k"}));
  EXPECT_NE(a, (intent_id<top_up>{"t1", "s2", "k"}));
  EXPECT_NE(a, (intent_id<top_up>{"t1", "s", "k2"}));
}

TEST(IntentId, UntypedKeysHashByAllThreeParts) {
  std::unordered_set<intent_key> keys{{"t", "s", "k"}, {"t", "s", "k"}, {"t", "sk", ""}, {"ts", "", "k"}};
  EXPECT_EQ(keys.size(), 3U);
}

TEST(IntentId, PrintsAsTenantScopeKey) {
  EXPECT_EQ(to_string(intent_key{"acme", "payments.authorize_payment", "pay-1"}),
            "acme:payments.authorize_payment:pay-1");
}

}  // namespace
}  // namespace once_tests
