// Simultaneous duplicates from many threads collapse into one effect.
#include <once/application/command_dispatcher.hpp>

#include <atomic>
#include <barrier>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/ledger_harness.hpp"

namespace once_tests {
namespace {

using once::domain::outcome_kind;

constexpr int threads = 32;

class ConcurrentDuplicates : public LedgerHarness<> {
 protected:
  // Sends `make(i)` from `threads` threads released at once; returns the outcome kinds seen.
  template <class Make>
  std::multiset<outcome_kind> send_at_once(Make make) {
    std::barrier start(threads);
    std::mutex mutex;
    std::multiset<outcome_kind> kinds;
    std::vector<std::thread> senders;
    for (int i = 0; i < threads; ++i) {
      senders.emplace_back([&, i] {
        auto [command, env] = make(i);
        start.arrive_and_wait();
        auto const outcome = dispatcher.dispatch(command, env);
        ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
        std::lock_guard lock(mutex);
        kinds.insert(outcome->kind());
        results.insert(once::domain::canonical_json(outcome->result()));
      });
    }
    for (auto& sender : senders) sender.join();
    return kinds;
  }

  void SetUp() override {
    ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-0", 1000}, envelope_with("k")).has_value());
  }

  std::set<std::string> results;
};

TEST_F(ConcurrentDuplicates, ThirtyTwoThreadsWithOneReturnPriorIntentProduceOneEffectAndOneAnswer) {
  auto const kinds = send_at_once([](int) { return std::pair{withdraw{"L-1", 10}, envelope_with("same")}; });
  EXPECT_EQ(kinds.count(outcome_kind::applied), 1U);
  EXPECT_EQ(kinds.count(outcome_kind::replayed), static_cast<std::size_t>(threads - 1));
  EXPECT_EQ(results.size(), 1U) << "every caller of one intent sees the same result";
  EXPECT_EQ(ledger_state_of("L-1")->balance, 990);
  EXPECT_EQ(version_of("L-1"), 2);
  EXPECT_EQ(under_test->outbox_size(), 2U);
}

TEST_F(ConcurrentDuplicates, ThirtyTwoThreadsWithOneNoOpIntentProduceOneEffect) {
  auto const kinds = send_at_once([](int) { return std::pair{rename{"L-1", "main"}, envelope_with("same")}; });
  EXPECT_EQ(kinds.count(outcome_kind::applied), 1U);
  EXPECT_EQ(kinds.count(outcome_kind::no_op), static_cast<std::size_t>(threads - 1));
  EXPECT_EQ(version_of("L-1"), 2);
  EXPECT_EQ(under_test->outbox_size(), 2U);
}

TEST_F(ConcurrentDuplicates, ThirtyTwoThreadsWithOneRejectConflictIntentProduceOneEffect) {
  std::multiset<outcome_kind> kinds;
  std::barrier start(threads);
  std::mutex mutex;
  std::vector<std::thread> senders;
  for (int i = 0; i < threads; ++i) {
    senders.emplace_back([&] {
      start.arrive_and_wait();
      auto const outcome = dispatcher.dispatch(close_ledger{"L-1", "done"}, envelope_with("same"));
      ASSERT_TRUE(outcome.has_value());
      std::lock_guard lock(mutex);
      kinds.insert(outcome->kind());
    });
  }
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(kinds.count(outcome_kind::applied), 1U);
  EXPECT_EQ(kinds.count(outcome_kind::duplicate_rejected), static_cast<std::size_t>(threads - 1));
  EXPECT_EQ(version_of("L-1"), 2);
}

TEST_F(ConcurrentDuplicates, DistinctIntentsOnOneHotAggregateAreAllAppliedWithContiguousVersions) {
  constexpr int per_thread = 20;
  std::barrier start(threads);
  std::vector<std::thread> senders;
  std::atomic<int> applied{0};
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < per_thread; ++i) {
        auto const id = "D-" + std::to_string(t) + "-" + std::to_string(i);
        auto const outcome = dispatcher.dispatch(deposit{"L-1", id, 1}, envelope_with(id));
        if (outcome.has_value() && outcome->kind() == outcome_kind::applied) ++applied;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(applied.load(), threads * per_thread);
  EXPECT_EQ(ledger_state_of("L-1")->balance, 1000 + threads * per_thread);  // no lost update
  EXPECT_EQ(version_of("L-1"), 1 + threads * per_thread);
  std::set<std::int64_t> versions;
  for (auto const& message : under_test->outbox()) versions.insert(message.aggregate_version);
  EXPECT_EQ(versions.size(), static_cast<std::size_t>(1 + threads * per_thread));
  EXPECT_EQ(*versions.begin(), 1);
  EXPECT_EQ(*versions.rbegin(), 1 + threads * per_thread);
}

}  // namespace
}  // namespace once_tests
