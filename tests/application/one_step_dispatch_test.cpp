// One-step commits on the memory store, whose commit_decided is the port's
// default (claim, compare, commit).
#include <stdexcept>

#include <once/application/recent_intents_store.hpp>
#include <once/memory/memory_command_store.hpp>

#include "application/one_step_contract.hpp"

namespace once_tests {

INSTANTIATE_TYPED_TEST_SUITE_P(MemoryStore, OneStepDispatch, memory_store_factory);

namespace {

// A domain whose handler throws when the aggregate it bumps does not exist,
// instead of refusing: deciding on a guessed "absent" must not surface that.
struct open_tally {
  static constexpr std::string_view type_name = "test.open_tally";
  BOOST_HANA_DEFINE_STRUCT(open_tally, (std::string, tally_id));
};
struct bump {
  static constexpr std::string_view type_name = "test.bump";
  BOOST_HANA_DEFINE_STRUCT(bump, (std::string, tally_id), (std::string, bump_id));
};
struct tally_opened {
  static constexpr std::string_view type_name = "test.tally_opened";
  BOOST_HANA_DEFINE_STRUCT(tally_opened, (std::string, tally_id));
};
struct bumped {
  static constexpr std::string_view type_name = "test.bumped";
  BOOST_HANA_DEFINE_STRUCT(bumped, (std::string, bump_id));
};
struct tally_state {
  BOOST_HANA_DEFINE_STRUCT(tally_state, (std::int64_t, count));
};

inline constexpr auto tally_commands = once::domain::command_table(
    once::domain::on<open_tally>()
        .key(&open_tally::tally_id)
        .target(&open_tally::tally_id)
        .repeat(once::domain::return_prior),
    once::domain::on<bump>().key(&bump::bump_id).target(&bump::tally_id).repeat(once::domain::return_prior));

struct strict_tally : once::domain::aggregate_types<tally_state, std::variant<tally_opened, bumped>> {
  static constexpr std::string_view type_name = "test.strict_tally";
  static constexpr auto const& commands = tally_commands;

  static decision<tally_state> decide(current const&, open_tally const& c, context const&) {
    return once::domain::accept(tally_state{0}, tally_opened{c.tally_id});
  }
  static decision<tally_state> decide(current const& s, bump const& c, context const&) {
    if (!s) throw std::logic_error("bump: no such tally");
    return once::domain::accept(tally_state{s->count + 1}, bumped{c.bump_id});
  }
  static void apply(tally_state&, tally_opened const&) {}
  static void apply(tally_state& s, bumped const&) { s.count += 1; }
};

TEST(OneStepGuess, AHandlerThatThrowsOnAnAbsentAggregateIsGivenTheOneThatExists) {
  once::application::manual_clock clock{harness_start()};
  once::memory::memory_command_store memory{clock};
  once::application::command_dispatcher<strict_tally> opener{memory, {&clock}, short_waits()};
  ASSERT_TRUE(opener.dispatch(open_tally{"T-1"}, envelope_with(std::nullopt)).has_value());

  // Another instance, which has never seen T-1: it decides on "absent" first.
  counting_store counted{memory};
  once::application::command_dispatcher<strict_tally> fresh{counted, {&clock}, short_waits()};
  auto const bumped_once = fresh.dispatch(bump{"T-1", "B-1"}, envelope_with(std::nullopt));
  ASSERT_TRUE(bumped_once.has_value()) << bumped_once.error().message;
  EXPECT_EQ(bumped_once->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(bumped_once->result().count, 1);
  EXPECT_EQ(counted.reads, 1) << "the tally, read after the handler threw on the guess";

  // Where the aggregate really is absent, the handler's exception is the caller's.
  EXPECT_THROW((void)fresh.dispatch(bump{"T-2", "B-2"}, envelope_with(std::nullopt)), std::logic_error);
  EXPECT_FALSE(memory.find(once::domain::intent_key{"tenant-a", std::string{bump::type_name}, "B-2"})->has_value());
  EXPECT_TRUE(memory.find(once::domain::intent_key{"tenant-a", std::string{bump::type_name}, "B-1"})->has_value());
}

TEST(OneStepRecall, ARepeatTheStoreRemembersIsAnsweredWithoutDecidingOrAskingTheStoreBehindIt) {
  once::application::manual_clock clock{harness_start()};
  once::memory::memory_command_store memory{clock};
  counting_store behind{memory};
  once::application::recent_intents_store remembering{behind, 100};
  once::application::command_dispatcher<ledger> dispatcher{remembering, {&clock}, short_waits()};
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt)).has_value());
  behind.reset();

  auto const repeat = dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with(std::nullopt));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(repeat->result().balance, 100);
  EXPECT_EQ(behind.decided_commits, 0);
  EXPECT_EQ(behind.claims, 0);
  EXPECT_EQ(behind.reads, 0);
}

}  // namespace
}  // namespace once_tests
