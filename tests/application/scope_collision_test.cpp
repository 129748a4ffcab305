// Reserving and releasing one order line with the same client key: their
// scope functions return the same text, and still the two commands are two
// intents, because a scope narrows its command type's own. Only a table that
// declares one verbatim scope for both makes them one intent (and the second
// command an intent_conflict).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>

namespace once_tests {
namespace {

using once::domain::outcome_kind;

struct line_state {
  BOOST_HANA_DEFINE_STRUCT(line_state, (std::int64_t, reserved));
};
struct reserve_line {
  static constexpr std::string_view type_name = "test.reserve_line";
  BOOST_HANA_DEFINE_STRUCT(reserve_line, (std::string, line_id));
};
struct release_line {
  static constexpr std::string_view type_name = "test.release_line";
  BOOST_HANA_DEFINE_STRUCT(release_line, (std::string, line_id));
};
struct line_reserved {
  static constexpr std::string_view type_name = "test.line_reserved";
  BOOST_HANA_DEFINE_STRUCT(line_reserved, (std::string, line_id));
};
struct line_released {
  static constexpr std::string_view type_name = "test.line_released";
  BOOST_HANA_DEFINE_STRUCT(line_released, (std::string, line_id));
};

std::int64_t reserved_of(line_state const& s, auto const&) {
  return s.reserved;
}

// The same aggregate twice: its commands' scopes narrowed by the line, or one verbatim scope declared by both.
template <bool Verbatim>
constexpr auto declare(auto on_command, auto line_of) {
  if constexpr (Verbatim) {
    return on_command.verbatim_scope(line_of);
  } else {
    return on_command.scope(line_of);
  }
}

template <bool Verbatim>
struct order_line : once::domain::aggregate_types<line_state, std::variant<line_reserved, line_released>> {
  static constexpr std::string_view type_name = "test.order_line";
  static constexpr auto commands =
      once::domain::command_table(declare<Verbatim>(once::domain::on<reserve_line>(), &reserve_line::line_id)
                                      .key(once::domain::client_key)
                                      .target(&reserve_line::line_id)
                                      .result(&reserved_of<reserve_line>)
                                      .repeat(once::domain::return_prior),
                                  declare<Verbatim>(once::domain::on<release_line>(), &release_line::line_id)
                                      .key(once::domain::client_key)
                                      .target(&release_line::line_id)
                                      .result(&reserved_of<release_line>)
                                      .repeat(once::domain::return_prior));
  static decision<> decide(current const&, reserve_line const& c, context const&) {
    return once::domain::emit(line_reserved{c.line_id});
  }
  static decision<> decide(current const&, release_line const& c, context const&) {
    return once::domain::emit(line_released{c.line_id});
  }
  static void apply(state& s, line_reserved const&) { ++s.reserved; }
  static void apply(state& s, line_released const&) { --s.reserved; }
};

once::domain::envelope keyed(std::string key) {
  once::domain::envelope env;
  env.tenant = "t";
  env.client_key = std::move(key);
  return env;
}

TEST(ScopeCollisions, TwoCommandTypesWhoseScopesReturnTheSameTextAreTwoIntents) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<order_line<false>> lines{store};
  auto const reserved = lines.dispatch(reserve_line{"order-9.3"}, keyed("k-1"));
  auto const released = lines.dispatch(release_line{"order-9.3"}, keyed("k-1"));
  ASSERT_TRUE(reserved.has_value());
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(reserved->kind(), outcome_kind::applied);
  EXPECT_EQ(released->kind(), outcome_kind::applied);
  EXPECT_EQ(released->result(), 0);
  EXPECT_NE(reserved->intent().scope, released->intent().scope);
}

TEST(ScopeCollisions, TheSameVerbatimScopeDeclaredByBothMakesTheSecondCommandAnIntentConflict) {
  once::memory::memory_command_store store;
  once::application::command_dispatcher<order_line<true>> lines{store};
  auto const reserved = lines.dispatch(reserve_line{"order-9.3"}, keyed("k-1"));
  auto const released = lines.dispatch(release_line{"order-9.3"}, keyed("k-1"));
  ASSERT_TRUE(reserved.has_value());
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(reserved->kind(), outcome_kind::applied);
  EXPECT_EQ(released->kind(), outcome_kind::intent_conflict);
  EXPECT_EQ(released->intent().scope, "order-9.3");
}

}  // namespace
}  // namespace once_tests
