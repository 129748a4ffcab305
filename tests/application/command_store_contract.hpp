// The command store contract (once/application/command_store.hpp), stated
// once and run against every adapter:
//
//   struct my_factory { std::unique_ptr<command_store> make(); };
//   INSTANTIATE_TYPED_TEST_SUITE_P(MyStore, CommandStoreContract, my_factory);
#pragma once

#include <atomic>
#include <barrier>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/application/command_store.hpp>

namespace once_tests {

using namespace std::chrono_literals;
namespace app = once::application;

// A serialising claim: the contract's locking promises are made for these.
inline app::intent_claim contract_claim(std::string key, std::string target = "agg-1",
                                        app::time_point now = std::chrono::system_clock::now()) {
  return {{"tenant-c", "contract.scope", std::move(key)},
          "contract.command",
          "fp-1",
          {"contract.aggregate", target, "tenant-c"},
          now,
          std::nullopt,
          /*serialise=*/true};
}

inline app::command_effects contract_effects(app::intent_claim const& claim, std::int64_t expected_version,
                                             std::string state = R"({"n":1})") {
  app::command_effects effects;
  effects.expected_version = expected_version;
  effects.new_state = app::stored_aggregate{claim.target, expected_version + 1, std::move(state)};
  effects.record = {claim.intent,     claim.command_type,   claim.fingerprint,
                    claim.target,     expected_version + 1, app::intent_status::applied,
                    R"({"ok":true})", claim.requested_at,   claim.expires_at};
  app::outbox_message message;
  message.message_id = claim.intent.key + "-event";
  message.source = claim.target;
  message.aggregate_version = expected_version + 1;
  message.event_type = "contract.happened";
  message.topic = "contract";
  message.key = claim.target.id;
  message.payload = R"({"n":1})";
  message.created_at = claim.requested_at;
  effects.outbox.push_back(message);
  return effects;
}

inline app::claim_waits contract_waits() {
  return {50ms, 50ms};
}

template <class Factory>
class CommandStoreContract : public ::testing::Test {
 protected:
  Factory factory_;
  std::unique_ptr<app::command_store> store = factory_.make();
};

TYPED_TEST_SUITE_P(CommandStoreContract);

TYPED_TEST_P(CommandStoreContract, ANewIntentIsClaimedWithoutAnAggregate) {
  auto const claimed = this->store->claim(contract_claim("new"), contract_waits());
  ASSERT_TRUE(claimed.has_value()) << claimed.error().message;
  EXPECT_EQ(claimed->state, app::claim_result::status::claimed);
  ASSERT_NE(claimed->claim, nullptr);
  EXPECT_FALSE(claimed->claim->current().has_value());
}

TYPED_TEST_P(CommandStoreContract, ACommittedIntentIsARepeatCarryingItsRecord) {
  auto const claim = contract_claim("once");
  {
    auto claimed = this->store->claim(claim, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects(claim, 0)).has_value());
  }
  auto const again = this->store->claim(claim, contract_waits());
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->state, app::claim_result::status::repeat);
  auto const& record = *again->existing;
  EXPECT_EQ(record.intent, claim.intent);
  EXPECT_EQ(record.command_type, "contract.command");
  EXPECT_EQ(record.fingerprint, "fp-1");
  EXPECT_EQ(record.target, claim.target);
  EXPECT_EQ(record.aggregate_version, 1);
  EXPECT_EQ(record.status, app::intent_status::applied);
  EXPECT_EQ(record.stored_result, R"({"ok":true})");
}

TYPED_TEST_P(CommandStoreContract, TheCommittedStateIsWhatTheNextClaimSees) {
  auto const first = contract_claim("one");
  {
    auto claimed = this->store->claim(first, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects(first, 0, R"({"n":7})")).has_value());
  }
  auto const second = this->store->claim(contract_claim("two"), contract_waits());
  ASSERT_TRUE(second->claim->current().has_value());
  EXPECT_EQ(second->claim->current()->version, 1);
  // A store may normalise the JSON (jsonb does); its meaning must survive.
  EXPECT_EQ(nlohmann::json::parse(second->claim->current()->state), nlohmann::json::parse(R"({"n":7})"));
  auto const read = this->store->read(first.target);
  ASSERT_TRUE(read.has_value() && read->has_value());
  EXPECT_EQ((*read)->version, 1);
}

TYPED_TEST_P(CommandStoreContract, ADroppedClaimRollsBackAndFreesTheIntent) {
  auto const claim = contract_claim("dropped");
  { auto claimed = this->store->claim(claim, contract_waits()); }
  auto const found = this->store->find(claim.intent);
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
  auto const again = this->store->claim(claim, contract_waits());
  EXPECT_EQ(again->state, app::claim_result::status::claimed);
}

TYPED_TEST_P(CommandStoreContract, SimultaneousClaimsOfOneIntentYieldExactlyOneExecution) {
  constexpr int threads = 16;
  auto const claim = contract_claim("race");
  std::barrier start(threads);
  std::atomic<int> claimed{0};
  std::atomic<int> repeats{0};
  std::vector<std::thread> racers;
  for (int i = 0; i < threads; ++i) {
    racers.emplace_back([&] {
      start.arrive_and_wait();
      auto result = this->store->claim(claim, {5000ms, 5000ms});
      ASSERT_TRUE(result.has_value()) << result.error().message;
      if (result->state == app::claim_result::status::claimed) {
        ++claimed;
        std::this_thread::sleep_for(10ms);  // hold the claim while the others arrive
        ASSERT_TRUE(result->claim->commit(contract_effects(claim, 0)).has_value());
      } else if (result->state == app::claim_result::status::repeat) {
        ++repeats;
      }
    });
  }
  for (auto& racer : racers) racer.join();
  EXPECT_EQ(claimed.load(), 1);
  EXPECT_EQ(repeats.load(), threads - 1);
}

TYPED_TEST_P(CommandStoreContract, ADuplicateOfAnInFlightIntentReportsInFlightAfterTheBound) {
  auto const claim = contract_claim("slow");
  auto held = this->store->claim(claim, contract_waits());
  ASSERT_EQ(held->state, app::claim_result::status::claimed);
  auto const duplicate = this->store->claim(claim, contract_waits());
  ASSERT_TRUE(duplicate.has_value());
  EXPECT_EQ(duplicate->state, app::claim_result::status::in_flight);
}

TYPED_TEST_P(CommandStoreContract, ACommitOnAStaleVersionIsAbortedAndWritesNothing) {
  auto const claim = contract_claim("stale");
  auto claimed = this->store->claim(claim, contract_waits());
  auto const committed = claimed->claim->commit(contract_effects(claim, 3));
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, app::error_code::aborted);
  claimed->claim.reset();
  auto const read = this->store->read(claim.target);
  EXPECT_FALSE(read->has_value());
  EXPECT_FALSE(this->store->find(claim.intent)->has_value());
}

TYPED_TEST_P(CommandStoreContract, AnExpiredRecordIsTreatedAsAbsent) {
  auto const now = std::chrono::system_clock::now();
  auto claim = contract_claim("expiring", "agg-1", now - 2h);
  claim.expires_at = now - 1h;
  {
    auto claimed = this->store->claim(claim, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects(claim, 0)).has_value());
  }
  EXPECT_FALSE(this->store->find(claim.intent)->has_value());
  auto const later = this->store->claim(contract_claim("expiring", "agg-1", now), contract_waits());
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->state, app::claim_result::status::claimed);
}

TYPED_TEST_P(CommandStoreContract, CommandsOnOneAggregateAreSerialised) {
  auto held = this->store->claim(contract_claim("first", "hot"), contract_waits());
  ASSERT_EQ(held->state, app::claim_result::status::claimed);
  auto const blocked = this->store->claim(contract_claim("second", "hot"), contract_waits());
  ASSERT_FALSE(blocked.has_value());
  EXPECT_EQ(blocked.error().code, app::error_code::unavailable);
  ASSERT_TRUE(held->claim->commit(contract_effects(contract_claim("first", "hot"), 0)).has_value());
  auto const next = this->store->claim(contract_claim("second", "hot"), contract_waits());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->state, app::claim_result::status::claimed) << "the timed-out claim must not stay in flight";
  EXPECT_EQ(next->claim->current()->version, 1);
}

inline app::intent_claim optimistic(app::intent_claim claim) {
  claim.serialise = false;
  return claim;
}

TYPED_TEST_P(CommandStoreContract, OfTwoOptimisticClaimsOfOneIntentOnlyOneCommitSucceeds) {
  auto const claim = optimistic(contract_claim("twin"));
  auto first = this->store->claim(claim, contract_waits());
  ASSERT_EQ(first->state, app::claim_result::status::claimed);
  auto second = this->store->claim(claim, contract_waits());  // a serialising store answers in_flight here
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(first->claim->commit(contract_effects(claim, 0)).has_value());
  if (second->state == app::claim_result::status::claimed) {
    auto const lost = second->claim->commit(contract_effects(claim, 0));
    ASSERT_FALSE(lost.has_value());
    EXPECT_EQ(lost.error().code, app::error_code::aborted);
  } else {
    EXPECT_EQ(second->state, app::claim_result::status::in_flight);
  }
  second->claim.reset();
  EXPECT_EQ(this->store->read(claim.target)->value().version, 1);
  auto const again = this->store->claim(claim, contract_waits());
  EXPECT_EQ(again->state, app::claim_result::status::repeat);
}

TYPED_TEST_P(CommandStoreContract, AnOptimisticCommitOnAMovedAggregateIsAbortedAndWritesNothing) {
  auto const one = optimistic(contract_claim("one", "moving"));
  auto const two = optimistic(contract_claim("two", "moving"));
  auto first = this->store->claim(one, contract_waits());
  ASSERT_EQ(first->state, app::claim_result::status::claimed);
  ASSERT_TRUE(first->claim->commit(contract_effects(one, 0)).has_value());
  // A decision made on version 0 after the aggregate reached version 1.
  auto second = this->store->claim(two, contract_waits());
  ASSERT_EQ(second->state, app::claim_result::status::claimed);
  auto const stale = second->claim->commit(contract_effects(two, 0));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, app::error_code::aborted);
  second->claim.reset();
  EXPECT_FALSE(this->store->find(two.intent)->has_value());
  EXPECT_EQ(this->store->read(one.target)->value().version, 1);
}

// Effects that also write entries of the aggregate's entities: (collection, id, JSON).
inline app::command_effects contract_effects_with_entries(app::intent_claim const& claim, std::int64_t expected_version,
                                                          std::vector<app::stored_entity> entries) {
  auto effects = contract_effects(claim, expected_version);
  effects.new_state->entities = std::move(entries);
  return effects;
}

// A stored entry as parsed JSON (stores may normalise spacing), or null when there is none.
inline nlohmann::json entry_json(app::result<std::optional<std::string>> const& read) {
  if (!read.has_value()) return "error: " + read.error().message;
  if (!read->has_value()) return nullptr;
  return nlohmann::json::parse(**read);
}

TYPED_TEST_P(CommandStoreContract, EntriesAreWrittenWithTheirRootAndReadOneAtATime) {
  auto const first = contract_claim("entries-1", "basket");
  {
    auto claimed = this->store->claim(first, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(
        contract_effects_with_entries(first, 0, {{"lines", "L1", R"({"q":1})"}, {"lines", "L2", R"({"q":2})"}})));
  }
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L1")), nlohmann::json::parse(R"({"q":1})"));
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L3")), nullptr);
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "notes", "L1")), nullptr) << "collections are apart";
  EXPECT_TRUE(this->store->read(first.target)->value().entities.empty()) << "a read carries the root only";

  auto const second = contract_claim("entries-2", "basket");
  auto claimed = this->store->claim(second, contract_waits());
  ASSERT_EQ(claimed->state, app::claim_result::status::claimed);
  EXPECT_EQ(entry_json(claimed->claim->entity("lines", "L2")), nlohmann::json::parse(R"({"q":2})"));
  EXPECT_EQ(entry_json(claimed->claim->entity("lines", "L9")), nullptr);
  ASSERT_TRUE(claimed->claim->commit(contract_effects_with_entries(second, 1, {{"lines", "L1", R"({"q":5})"}})));
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L1")), nlohmann::json::parse(R"({"q":5})"));
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L2")), nlohmann::json::parse(R"({"q":2})"))
      << "an entry the commit did not carry stays as it was";
}

TYPED_TEST_P(CommandStoreContract, ARemovedEntryIsDeletedWithItsRootsCommitAndTheOthersStay) {
  auto const first = contract_claim("removal-1", "shrinking");
  {
    auto claimed = this->store->claim(first, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(
        contract_effects_with_entries(first, 0, {{"lines", "L1", R"({"q":1})"}, {"lines", "L2", R"({"q":2})"}})));
  }
  auto const second = contract_claim("removal-2", "shrinking");
  auto claimed = this->store->claim(second, contract_waits());
  ASSERT_TRUE(claimed->claim->commit(contract_effects_with_entries(second, 1, {{"lines", "L1", "", true}})));
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L1")), nullptr);
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L2")), nlohmann::json::parse(R"({"q":2})"));
}

TYPED_TEST_P(CommandStoreContract, EntriesOfACommitThatLosesItsVersionCheckAreNotWritten) {
  auto const one = optimistic(contract_claim("entries-one", "contested"));
  auto const two = optimistic(contract_claim("entries-two", "contested"));
  {
    auto first = this->store->claim(one, contract_waits());
    ASSERT_TRUE(first->claim->commit(contract_effects_with_entries(one, 0, {{"lines", "L1", R"({"q":1})"}})));
  }
  auto second = this->store->claim(two, contract_waits());
  ASSERT_EQ(second->state, app::claim_result::status::claimed);
  auto const stale = second->claim->commit(
      contract_effects_with_entries(two, 0, {{"lines", "L1", R"({"q":7})"}, {"lines", "L9", R"({"q":9})"}}));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, app::error_code::aborted);
  second->claim.reset();
  EXPECT_EQ(entry_json(this->store->read_entity(one.target, "lines", "L1")), nlohmann::json::parse(R"({"q":1})"));
  EXPECT_EQ(entry_json(this->store->read_entity(one.target, "lines", "L9")), nullptr);
}

TYPED_TEST_P(CommandStoreContract, EntriesBelongToTheirAggregateAndItsTenant) {
  auto const claim = contract_claim("entries-own", "owner");
  {
    auto claimed = this->store->claim(claim, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects_with_entries(claim, 0, {{"lines", "L1", R"({"q":1})"}})));
  }
  auto other_aggregate = claim.target;
  other_aggregate.id = "neighbour";
  auto other_tenant = claim.target;
  other_tenant.tenant = "tenant-d";
  EXPECT_EQ(entry_json(this->store->read_entity(other_aggregate, "lines", "L1")), nullptr);
  EXPECT_EQ(entry_json(this->store->read_entity(other_tenant, "lines", "L1")), nullptr);
}

// --- commit_decided: a new intent decided on a known version, committed in one step ---

TYPED_TEST_P(CommandStoreContract, ADecidedCommitOfANewIntentWritesItAndItsRepeatAnswersTheRecord) {
  auto const claim = optimistic(contract_claim("decided", "decided-1"));
  auto const first = this->store->commit_decided(claim, contract_effects(claim, 0), contract_waits());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->state, app::decided_commit::status::committed);
  EXPECT_EQ(this->store->read(claim.target)->value().version, 1);
  ASSERT_TRUE(this->store->find(claim.intent)->has_value());

  auto const again = this->store->commit_decided(claim, contract_effects(claim, 1), contract_waits());
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->state, app::decided_commit::status::repeat);
  ASSERT_TRUE(again->existing.has_value());
  EXPECT_EQ(again->existing->aggregate_version, 1);
  EXPECT_EQ(this->store->read(claim.target)->value().version, 1) << "a repeat writes nothing";
}

TYPED_TEST_P(CommandStoreContract, ADecidedCommitOnAMovedAggregateAnswersItAsItIsAndWritesNothing) {
  auto const one = optimistic(contract_claim("moved-1", "moved"));
  ASSERT_EQ(this->store->commit_decided(one, contract_effects(one, 0, R"({"n":3})"), contract_waits())->state,
            app::decided_commit::status::committed);
  // Decided on "absent" (version 0) while the aggregate is at version 1.
  auto const two = optimistic(contract_claim("moved-2", "moved"));
  auto const stale = this->store->commit_decided(two, contract_effects_with_entries(two, 0, {{"lines", "L1", "{}"}}),
                                                 contract_waits());
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  ASSERT_EQ(stale->state, app::decided_commit::status::moved);
  ASSERT_TRUE(stale->current.has_value());
  EXPECT_EQ(stale->current->version, 1);
  EXPECT_EQ(nlohmann::json::parse(stale->current->state), nlohmann::json::parse(R"({"n":3})"));
  EXPECT_FALSE(this->store->find(two.intent)->has_value());
  EXPECT_EQ(entry_json(this->store->read_entity(two.target, "lines", "L1")), nullptr);

  // Decided on a version of an aggregate that does not exist.
  auto const ghost = optimistic(contract_claim("moved-3", "never-stored"));
  auto const absent = this->store->commit_decided(ghost, contract_effects(ghost, 4), contract_waits());
  ASSERT_TRUE(absent.has_value());
  ASSERT_EQ(absent->state, app::decided_commit::status::moved);
  EXPECT_FALSE(absent->current.has_value());
  EXPECT_FALSE(this->store->read(ghost.target)->has_value());
}

TYPED_TEST_P(CommandStoreContract, ADecidedCommitReplacesAnExpiredRecordOfItsIntentAndLeavesNoneWhenItsAggregateMoved) {
  auto const now = std::chrono::system_clock::now();
  auto expiring = optimistic(contract_claim("decided-expiring", "decided-expiry", now - 2h));
  expiring.expires_at = now - 1h;
  ASSERT_EQ(this->store->commit_decided(expiring, contract_effects(expiring, 0), contract_waits())->state,
            app::decided_commit::status::committed);
  ASSERT_FALSE(this->store->find(expiring.intent)->has_value());

  // The same intent later, decided on a version the aggregate has moved past: nothing of it stays.
  auto const later = optimistic(contract_claim("decided-expiring", "decided-expiry", now));
  auto const stale = this->store->commit_decided(later, contract_effects(later, 0), contract_waits());
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  ASSERT_EQ(stale->state, app::decided_commit::status::moved);
  EXPECT_FALSE(this->store->find(later.intent)->has_value());

  // Decided on the version it has: a new record in place of the expired one.
  auto effects = contract_effects(later, 1, R"({"n":2})");
  effects.outbox.front().message_id += "-2";  // the expired command's event stays in the outbox
  auto const fresh = this->store->commit_decided(later, std::move(effects), contract_waits());
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  ASSERT_EQ(fresh->state, app::decided_commit::status::committed);
  auto const record = this->store->find(later.intent);
  ASSERT_TRUE(record->has_value());
  EXPECT_EQ((*record)->aggregate_version, 2);
  EXPECT_FALSE((*record)->expires_at.has_value());
  EXPECT_EQ(this->store->commit_decided(later, contract_effects(later, 2), contract_waits())->state,
            app::decided_commit::status::repeat);
}

TYPED_TEST_P(CommandStoreContract, ADecidedRejectionIsCommittedOnlyOnTheVersionItWasDecidedOn) {
  auto const one = optimistic(contract_claim("refused-1", "refusing"));
  ASSERT_EQ(this->store->commit_decided(one, contract_effects(one, 0), contract_waits())->state,
            app::decided_commit::status::committed);
  auto const refusal = [](app::intent_claim const& claim, std::int64_t version) {
    app::command_effects effects;
    effects.expected_version = version;
    effects.record = {claim.intent,    claim.command_type,           claim.fingerprint,  claim.target,
                      version,         app::intent_status::rejected, R"({"code":"no"})", claim.requested_at,
                      claim.expires_at};
    return effects;
  };
  auto const two = optimistic(contract_claim("refused-2", "refusing"));
  auto const stale = this->store->commit_decided(two, refusal(two, 0), contract_waits());
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->state, app::decided_commit::status::moved) << "a refusal decided on a stale state is not stored";
  EXPECT_FALSE(this->store->find(two.intent)->has_value());

  auto const current = this->store->commit_decided(two, refusal(two, 1), contract_waits());
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->state, app::decided_commit::status::committed);
  EXPECT_EQ(this->store->find(two.intent)->value().status, app::intent_status::rejected);
  EXPECT_EQ(this->store->read(two.target)->value().version, 1);
}

TYPED_TEST_P(CommandStoreContract, ADecidedCommitWritesItsEntriesWithItsRoot) {
  auto const claim = optimistic(contract_claim("decided-entries", "decided-basket"));
  auto const written = this->store->commit_decided(
      claim, contract_effects_with_entries(claim, 0, {{"lines", "L1", R"({"q":1})"}}), contract_waits());
  ASSERT_EQ(written->state, app::decided_commit::status::committed);
  EXPECT_EQ(entry_json(this->store->read_entity(claim.target, "lines", "L1")), nlohmann::json::parse(R"({"q":1})"));
}

TYPED_TEST_P(CommandStoreContract, ADecidedCommitDeletesTheEntriesItRemovesAndKeepsAndReplacesTheOthers) {
  auto const first = optimistic(contract_claim("decided-removal-1", "decided-shrinking"));
  ASSERT_EQ(this->store
                ->commit_decided(
                    first,
                    contract_effects_with_entries(
                        first, 0,
                        {{"lines", "L1", R"({"q":1})"}, {"lines", "L2", R"({"q":2})"}, {"lines", "L3", R"({"q":3})"}}),
                    contract_waits())
                ->state,
            app::decided_commit::status::committed);
  auto const second = optimistic(contract_claim("decided-removal-2", "decided-shrinking"));
  auto const written = this->store->commit_decided(
      second, contract_effects_with_entries(second, 1, {{"lines", "L1", "", true}, {"lines", "L3", R"({"q":30})"}}),
      contract_waits());
  ASSERT_TRUE(written.has_value()) << written.error().message;
  ASSERT_EQ(written->state, app::decided_commit::status::committed);
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L1")), nullptr);
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L2")), nlohmann::json::parse(R"({"q":2})"));
  EXPECT_EQ(entry_json(this->store->read_entity(first.target, "lines", "L3")), nlohmann::json::parse(R"({"q":30})"));
}

TYPED_TEST_P(CommandStoreContract, ADecidedCommitOfAnIntentInFlightWaitsForItThenSaysSo) {
  auto const claim = contract_claim("decided-twin", "decided-twin");
  auto held = this->store->claim(claim, contract_waits());
  ASSERT_EQ(held->state, app::claim_result::status::claimed);
  auto const twin = this->store->commit_decided(optimistic(claim), contract_effects(claim, 0), contract_waits());
  ASSERT_TRUE(twin.has_value()) << twin.error().message;
  EXPECT_EQ(twin->state, app::decided_commit::status::in_flight);
  held->claim.reset();
  EXPECT_FALSE(this->store->find(claim.intent)->has_value());
}

REGISTER_TYPED_TEST_SUITE_P(
    CommandStoreContract, ADecidedCommitOfANewIntentWritesItAndItsRepeatAnswersTheRecord,
    ADecidedCommitOnAMovedAggregateAnswersItAsItIsAndWritesNothing,
    ADecidedCommitReplacesAnExpiredRecordOfItsIntentAndLeavesNoneWhenItsAggregateMoved,
    ADecidedRejectionIsCommittedOnlyOnTheVersionItWasDecidedOn, ADecidedCommitWritesItsEntriesWithItsRoot,
    ADecidedCommitDeletesTheEntriesItRemovesAndKeepsAndReplacesTheOthers,
    ADecidedCommitOfAnIntentInFlightWaitsForItThenSaysSo, EntriesAreWrittenWithTheirRootAndReadOneAtATime,
    ARemovedEntryIsDeletedWithItsRootsCommitAndTheOthersStay, EntriesOfACommitThatLosesItsVersionCheckAreNotWritten,
    EntriesBelongToTheirAggregateAndItsTenant, OfTwoOptimisticClaimsOfOneIntentOnlyOneCommitSucceeds,
    AnOptimisticCommitOnAMovedAggregateIsAbortedAndWritesNothing, ANewIntentIsClaimedWithoutAnAggregate,
    ACommittedIntentIsARepeatCarryingItsRecord, TheCommittedStateIsWhatTheNextClaimSees,
    ADroppedClaimRollsBackAndFreesTheIntent, SimultaneousClaimsOfOneIntentYieldExactlyOneExecution,
    ADuplicateOfAnInFlightIntentReportsInFlightAfterTheBound, ACommitOnAStaleVersionIsAbortedAndWritesNothing,
    AnExpiredRecordIsTreatedAsAbsent, CommandsOnOneAggregateAreSerialised);

}  // namespace once_tests
