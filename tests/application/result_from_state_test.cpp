// A command whose result the command table computes from the state after its
// events (decide returns decision<>, the table declares .result(state,
// command)): the applied answer, its replay, a no_op repeat and the
// Given/When/Then fixture all agree with apply, because only apply computes.
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/testing/scenario.hpp>

namespace once_tests {
namespace {

struct tally_state {
  BOOST_HANA_DEFINE_STRUCT(tally_state, (std::string, tally_id), (std::int64_t, total), (std::int64_t, marks));
};
struct tally_view {
  BOOST_HANA_DEFINE_STRUCT(tally_view, (std::string, tally_id), (std::int64_t, total), (std::int64_t, marks));
  friend bool operator==(tally_view const&, tally_view const&) = default;
};
tally_view view_of(tally_state const& s) {
  return {s.tally_id, s.total, s.marks};
}

struct add_to_tally {
  static constexpr std::string_view type_name = "test.add_to_tally";
  BOOST_HANA_DEFINE_STRUCT(add_to_tally, (std::string, tally_id), (std::int64_t, amount));
};
struct mark_tally {
  static constexpr std::string_view type_name = "test.mark_tally";
  BOOST_HANA_DEFINE_STRUCT(mark_tally, (std::string, tally_id));
};
struct added_to_tally {
  static constexpr std::string_view type_name = "test.added_to_tally";
  BOOST_HANA_DEFINE_STRUCT(added_to_tally, (std::string, tally_id), (std::int64_t, amount));
};
struct tally_marked {
  static constexpr std::string_view type_name = "test.tally_marked";
  BOOST_HANA_DEFINE_STRUCT(tally_marked, (std::string, tally_id));
};

inline constexpr auto tally_commands = once::domain::command_table(
    once::domain::on<add_to_tally>()
        .key(once::domain::client_key)
        .target(&add_to_tally::tally_id)
        .result([](tally_state const& s, add_to_tally const&) { return view_of(s); })
        .repeat(once::domain::return_prior),
    once::domain::on<mark_tally>()
        .key(once::domain::client_key)
        .target(&mark_tally::tally_id)
        .only_if_exists([](mark_tally const& c) { return once::domain::reject("no_tally", "no tally " + c.tally_id); })
        .result([](tally_state const& s, mark_tally const&) { return view_of(s); })
        .repeat(once::domain::no_op));

struct tally : once::domain::aggregate_types<tally_state, std::variant<added_to_tally, tally_marked>> {
  static constexpr std::string_view type_name = "test.tally";
  static constexpr auto const& commands = tally_commands;
  static decision<> decide(current const&, add_to_tally const& c, context const&) {
    if (c.amount <= 0) return once::domain::reject("invalid_amount", "amounts are positive");
    return once::domain::emit(added_to_tally{c.tally_id, c.amount});
  }
  static decision<> decide(current const&, mark_tally const& c, context const&) {
    return once::domain::emit(tally_marked{c.tally_id});
  }
  static void apply(state& s, added_to_tally const& e) {
    s.tally_id = e.tally_id;
    s.total += e.amount;
  }
  static void apply(state& s, tally_marked const&) { ++s.marks; }
};

static_assert(std::is_same_v<once::domain::result_of<tally, add_to_tally>, tally_view>,
              "the result type of a decision<> is the table's .result type");

once::domain::envelope keyed(std::string key) {
  once::domain::envelope env;
  env.tenant = "t";
  env.client_key = std::move(key);
  return env;
}

TEST(AResultFromTheState, IsWhatApplyMadeOfTheEventsAndIsReplayedAsStored) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<tally> dispatcher{store};
  auto const first = dispatcher.dispatch(add_to_tally{"T-1", 5}, keyed("k-1"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_EQ(first->kind(), once::domain::outcome_kind::applied);
  EXPECT_EQ(first->result(), (tally_view{"T-1", 5, 0}));
  ASSERT_TRUE(dispatcher.dispatch(add_to_tally{"T-1", 3}, keyed("k-2")).has_value());
  auto const replay = dispatcher.dispatch(add_to_tally{"T-1", 5}, keyed("k-1"));
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->kind(), once::domain::outcome_kind::replayed);
  EXPECT_EQ(replay->result(), (tally_view{"T-1", 5, 0})) << "the stored answer, not today's state";
  auto const refused = dispatcher.dispatch(add_to_tally{"T-1", -1}, keyed("k-3"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->kind(), once::domain::outcome_kind::rejected);
}

TEST(AResultFromTheState, AnswersANoOpRepeatWithTheStateAsItIsThen) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<tally> dispatcher{store};
  ASSERT_TRUE(dispatcher.dispatch(add_to_tally{"T-1", 5}, keyed("k-1")).has_value());
  auto const marked = dispatcher.dispatch(mark_tally{"T-1"}, keyed("m-1"));
  ASSERT_TRUE(marked.has_value());
  EXPECT_EQ(marked->result(), (tally_view{"T-1", 5, 1}));
  ASSERT_TRUE(dispatcher.dispatch(add_to_tally{"T-1", 2}, keyed("k-2")).has_value());
  auto const repeat = dispatcher.dispatch(mark_tally{"T-1"}, keyed("m-1"));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->kind(), once::domain::outcome_kind::no_op);
  EXPECT_EQ(repeat->result(), (tally_view{"T-1", 7, 1}));
}

TEST(AResultFromTheState, IsWhatTheGivenWhenThenFixtureComparesToo) {
  once::testing::scenario<tally>()
      .given({added_to_tally{"T-1", 5}})
      .when(add_to_tally{"T-1", 4})
      .then({added_to_tally{"T-1", 4}})
      .then_result(tally_view{"T-1", 9, 0});
  once::testing::scenario<tally>().when(mark_tally{"T-9"}).then_rejected("no_tally");
}

}  // namespace
}  // namespace once_tests
