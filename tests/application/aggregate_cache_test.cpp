// The aggregates a dispatcher remembers: bounded in bytes, least recently used
// forgotten first, never moved back to an older version.
#include <once/application/aggregate_cache.hpp>

#include <string>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using once::application::aggregate_cache;
using once::application::aggregate_ref;
using once::application::stored_aggregate;

stored_aggregate aggregate(int id, std::int64_t version = 1, std::size_t state_bytes = 100) {
  return stored_aggregate{aggregate_ref{"test.type", "A-" + std::to_string(id), "tenant-a"}, version,
                          std::string(state_bytes, 'x')};
}

TEST(AggregateCache, RemembersWhatItWasToldAndForgetsOnRequest) {
  aggregate_cache cache{1 << 20};
  cache.remember(aggregate(1, 3));
  auto const found = cache.find(aggregate(1).ref);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->version, 3);
  EXPECT_EQ(found->state.size(), 100U);
  cache.forget(aggregate(1).ref);
  EXPECT_FALSE(cache.find(aggregate(1).ref).has_value());
  EXPECT_FALSE(cache.find(aggregate(2).ref).has_value());
}

TEST(AggregateCache, StaysWithinItsBoundHoweverMuchItIsTold) {
  constexpr std::size_t bound = 64 * 1024;
  aggregate_cache cache{bound};
  for (int i = 0; i < 10000; ++i) cache.remember(aggregate(i, 1, 1000));
  EXPECT_LE(cache.bytes(), bound);
  EXPECT_GT(cache.size(), 0U);
  EXPECT_LT(cache.size(), 10000U);
  EXPECT_TRUE(cache.find(aggregate(9999).ref).has_value()) << "the latest is kept";
  EXPECT_FALSE(cache.find(aggregate(0).ref).has_value()) << "the oldest is forgotten";
}

TEST(AggregateCache, ForgetsTheLeastRecentlyUsedFirst) {
  // One shard's share holds a few entries; fill far beyond it while using one of them.
  aggregate_cache cache{16 * 4 * (aggregate_cache::entry_overhead + 200)};
  cache.remember(aggregate(0));
  for (int i = 1; i < 2000; ++i) {
    cache.remember(aggregate(i));
    ASSERT_TRUE(cache.find(aggregate(0).ref).has_value()) << "used at every step, so never the least recent";
  }
}

TEST(AggregateCache, NeverGoesBackToAnOlderVersion) {
  aggregate_cache cache{1 << 20};
  cache.remember(aggregate(1, 5));
  cache.remember(aggregate(1, 4));  // a slower thread that committed before
  EXPECT_EQ(cache.find(aggregate(1).ref)->version, 5);
  cache.remember(aggregate(1, 6));
  EXPECT_EQ(cache.find(aggregate(1).ref)->version, 6);
}

TEST(AggregateCache, KeepsNothingLargerThanItsShareAndNothingAtAllWithABoundOfZero) {
  aggregate_cache small{16 * 1024};
  small.remember(aggregate(1, 1, 4096));
  EXPECT_FALSE(small.find(aggregate(1).ref).has_value());
  aggregate_cache none{0};
  none.remember(aggregate(1));
  EXPECT_FALSE(none.find(aggregate(1).ref).has_value());
  EXPECT_EQ(none.bytes(), 0U);
}

TEST(AggregateCache, KeysAreTenantTypeAndIdTogether) {
  aggregate_cache cache{1 << 20};
  auto mine = aggregate(1, 2);
  cache.remember(mine);
  auto theirs = mine.ref;
  theirs.tenant = "tenant-b";
  EXPECT_FALSE(cache.find(theirs).has_value());
  auto other_type = mine.ref;
  other_type.type = "test.other";
  EXPECT_FALSE(cache.find(other_type).has_value());
}

TEST(AggregateCache, LearnsPerCommandTypeWhetherMissesFindNewAggregates) {
  aggregate_cache cache{1 << 20};
  EXPECT_TRUE(cache.absent_is_likely("test.open")) << "until told otherwise";
  for (int i = 0; i < 3; ++i) cache.learn_miss("test.pay", false);
  EXPECT_FALSE(cache.absent_is_likely("test.pay"));
  EXPECT_TRUE(cache.absent_is_likely("test.open"));
  for (int i = 0; i < 1000; ++i) cache.learn_miss("test.pay", false);
  for (int i = 0; i < 17; ++i) cache.learn_miss("test.pay", true);
  EXPECT_TRUE(cache.absent_is_likely("test.pay")) << "a long history is outweighed within a bounded number of misses";
}

TEST(AggregateCache, LearnsPerCommandTypeWhetherItsCommandsAreRepeats) {
  aggregate_cache cache{1 << 20};
  EXPECT_FALSE(cache.repeat_is_likely("test.pay")) << "until told otherwise";
  cache.learn_answer("test.pay", true);
  EXPECT_TRUE(cache.repeat_is_likely("test.pay"));
  EXPECT_FALSE(cache.repeat_is_likely("test.open"));
  cache.learn_answer("test.pay", false);
  EXPECT_FALSE(cache.repeat_is_likely("test.pay")) << "as many new intents as repeats: deciding first";
  for (int i = 0; i < 1000; ++i) cache.learn_answer("test.pay", true);
  for (int i = 0; i < 16; ++i) cache.learn_answer("test.pay", false);
  EXPECT_FALSE(cache.repeat_is_likely("test.pay"))
      << "a long history is outweighed within a bounded number of commands";
}

}  // namespace
}  // namespace once_tests
