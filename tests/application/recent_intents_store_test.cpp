// recent_intents_store in front of a store: the whole store contract and
// semantics table still hold, and settled repeats are answered from memory.
#include <once/application/recent_intents_store.hpp>

#include <once/memory/memory_command_store.hpp>

#include "application/command_store_contract.hpp"
#include "application/semantics_table_contract.hpp"

namespace once_tests {
namespace {

// The memory store with the remembering store in front, owned together.
class remembering_memory_store final : public app::command_store {
 public:
  remembering_memory_store() = default;
  explicit remembering_memory_store(app::clock const& clock) : inner_(clock) {}
  app::result<app::claim_result> claim(app::intent_claim const& claim, app::claim_waits const& waits) override {
    return front_.claim(claim, waits);
  }
  app::result<std::optional<app::stored_aggregate>> read(app::aggregate_ref const& ref) override {
    return front_.read(ref);
  }
  app::result<std::optional<std::string>> read_entity(app::aggregate_ref const& ref, std::string_view collection,
                                                      std::string const& id) override {
    return front_.read_entity(ref, collection, id);
  }
  app::result<std::optional<app::intent_record>> find(once::domain::intent_key const& intent) override {
    return front_.find(intent);
  }
  once::memory::memory_command_store& inner() { return inner_; }
  app::recent_intents_store& front() { return front_; }

 private:
  once::memory::memory_command_store inner_;
  app::recent_intents_store front_{inner_, 1000};
};

struct remembering_contract_factory {
  std::unique_ptr<app::command_store> make() { return std::make_unique<remembering_memory_store>(); }
};

class remembering_under_test final : public store_under_test {
 public:
  explicit remembering_under_test(app::clock const& clock) : store_(clock) {}
  app::command_store& store() override { return store_; }
  std::size_t intent_count() override { return store_.inner().intent_count(); }
  std::vector<app::outbox_message> outbox() override { return store_.inner().outbox(); }

 private:
  remembering_memory_store store_;
};

struct remembering_semantics_factory {
  std::unique_ptr<store_under_test> make(app::clock const& clock) {
    return std::make_unique<remembering_under_test>(clock);
  }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(RecentIntentsOverMemory, CommandStoreContract, remembering_contract_factory);
INSTANTIATE_TYPED_TEST_SUITE_P(RecentIntentsOverMemory, SemanticsTable, remembering_semantics_factory);

namespace {

// An intent committed on the wrapped store directly, as by another process:
// the front has not seen it.
void commit_past_the_front(app::command_store& inner, app::intent_claim const& claim) {
  auto first = inner.claim(claim, contract_waits());
  ASSERT_TRUE(first.has_value() && first->state == app::claim_result::status::claimed);
  ASSERT_TRUE(first->claim->commit(contract_effects(claim, 0)).has_value());
}

TEST(RecentIntentsStore, AnswersARepeatOfACommittedIntentFromMemory) {
  remembering_memory_store store;
  auto const claim = contract_claim("k-1");
  auto first = store.claim(claim, contract_waits());
  ASSERT_EQ(first->state, app::claim_result::status::claimed);
  ASSERT_TRUE(first->claim->commit(contract_effects(claim, 0)).has_value());
  first->claim.reset();

  auto const repeat = store.claim(claim, contract_waits());
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->state, app::claim_result::status::repeat);
  EXPECT_EQ(repeat->existing->stored_result, R"({"ok":true})");
  EXPECT_EQ(store.front().hits(), 1U);
}

TEST(RecentIntentsStore, RemembersARepeatTheWrappedStoreAnswered) {
  once::memory::memory_command_store inner;
  auto const claim = contract_claim("k-1");
  ASSERT_NO_FATAL_FAILURE(commit_past_the_front(inner, claim));
  app::recent_intents_store front{inner, 100};
  EXPECT_EQ(front.claim(claim, contract_waits())->state, app::claim_result::status::repeat);
  EXPECT_EQ(front.hits(), 0U) << "the first repeat asks the wrapped store";
  EXPECT_EQ(front.claim(claim, contract_waits())->state, app::claim_result::status::repeat);
  EXPECT_EQ(front.hits(), 1U);
}

// A dispatcher looks repeats up first when a command type mostly repeats:
// what the lookup found answers the next repeat without the wrapped store.
TEST(RecentIntentsStore, RemembersASettledRecordALookupFound) {
  once::memory::memory_command_store inner;
  auto const claim = contract_claim("k-1");
  ASSERT_NO_FATAL_FAILURE(commit_past_the_front(inner, claim));
  app::recent_intents_store front{inner, 100};
  auto const found = front.find(claim.intent);
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ(front.size(), 1U);
  auto const recalled = front.recall(claim);
  ASSERT_TRUE(recalled.has_value()) << "the next repeat would ask the wrapped store again";
  EXPECT_EQ(recalled->stored_result, R"({"ok":true})");
  EXPECT_EQ(front.hits(), 1U);
}

TEST(RecentIntentsStore, RemembersNothingForAClaimDroppedWithoutCommit) {
  remembering_memory_store store;
  {
    auto dropped = store.claim(contract_claim("k-1"), contract_waits());
    ASSERT_EQ(dropped->state, app::claim_result::status::claimed);
  }
  EXPECT_EQ(store.front().size(), 0U);
  EXPECT_EQ(store.claim(contract_claim("k-1"), contract_waits())->state, app::claim_result::status::claimed);
}

TEST(RecentIntentsStore, NeverAnswersFromAnExpiredRecord) {
  remembering_memory_store store;
  auto const start = std::chrono::system_clock::now();
  auto claim = contract_claim("k-1", "agg-1", start);
  claim.expires_at = start + 1h;
  {
    auto first = store.claim(claim, contract_waits());
    ASSERT_TRUE(first->claim->commit(contract_effects(claim, 0)).has_value());
  }
  auto later = contract_claim("k-1", "agg-1", start + 2h);
  auto const after_expiry = store.claim(later, contract_waits());
  ASSERT_TRUE(after_expiry.has_value());
  EXPECT_EQ(after_expiry->state, app::claim_result::status::claimed) << "an expired intent is new again";
  EXPECT_EQ(store.front().hits(), 0U);
}

TEST(RecentIntentsStore, ForgetsTheOldestRecordsBeyondItsCapacity) {
  once::memory::memory_command_store inner;
  app::recent_intents_store front{inner, 64};
  for (int i = 0; i < 1000; ++i) {
    auto const claim = contract_claim("k-" + std::to_string(i), "agg-" + std::to_string(i));
    auto claimed = front.claim(claim, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects(claim, 0)).has_value());
  }
  EXPECT_LE(front.size(), 64U + 16U);  // per shard: capacity / 16 + 1
  // The newest is still remembered.
  EXPECT_EQ(front.claim(contract_claim("k-999", "agg-999"), contract_waits())->state,
            app::claim_result::status::repeat);
  EXPECT_EQ(front.hits(), 1U);
}

// An intent carried out again after its record expired is remembered in the
// place of the old record, which leaves its turn in line as it was.
TEST(RecentIntentsStore, ReplacesAnExpiredRecordAndStillForgetsInArrivalOrder) {
  once::memory::memory_command_store inner;
  app::recent_intents_store front{inner, 16};  // one record per shard
  auto const start = std::chrono::system_clock::now();
  auto first = contract_claim("k-again", "agg-again", start);
  first.expires_at = start + 1h;
  ASSERT_TRUE(front.claim(first, contract_waits())->claim->commit(contract_effects(first, 0)).has_value());
  auto again = contract_claim("k-again", "agg-again", start + 2h);
  again.expires_at = start + 3h;
  auto reclaimed = front.claim(again, contract_waits());
  ASSERT_EQ(reclaimed->state, app::claim_result::status::claimed);
  ASSERT_TRUE(reclaimed->claim->commit(contract_effects(again, 1)).has_value());
  EXPECT_EQ(front.claim(again, contract_waits())->state, app::claim_result::status::repeat);
  EXPECT_EQ(front.hits(), 1U);
  for (int i = 0; i < 500; ++i) {  // pushes everything older out, the replaced record included
    auto const claim = contract_claim("k-" + std::to_string(i), "agg-" + std::to_string(i), start + 2h);
    ASSERT_TRUE(front.claim(claim, contract_waits())->claim->commit(contract_effects(claim, 0)).has_value());
  }
  EXPECT_LE(front.size(), 32U);
  auto const asked_again = front.claim(again, contract_waits());
  EXPECT_EQ(asked_again->state, app::claim_result::status::repeat) << "the inner store still knows it";
  EXPECT_EQ(front.hits(), 1U) << "but it was forgotten here";
}

}  // namespace
}  // namespace once_tests
