#include <once/domain/command_table.hpp>

#include <cstdint>
#include <string_view>

#include <gtest/gtest.h>
#include <boost/hana/define_struct.hpp>

#include "support/ledger.hpp"
#include "support/sample_types.hpp"

namespace once_tests {
namespace {

using namespace once::domain;

once::domain::envelope with_key(std::optional<std::string> key) {
  once::domain::envelope env;
  env.tenant = "t";
  env.client_key = std::move(key);
  return env;
}

constexpr auto table = command_table(on<top_up>().key(&top_up::account).target(&top_up::account).repeat(return_prior),
                                     on<charge>()
                                         .scope("billing")
                                         .key(client_key)
                                         .target(&charge::account)
                                         .repeat(reject_conflict)
                                         .retain(std::chrono::hours{1}));

TEST(CommandTable, ScopeDefaultsToTheCommandTypeName) {
  EXPECT_EQ(declaration_of<top_up>(table).scope_of(top_up{"A", 1}), "test.top_up");
}

TEST(CommandTable, AFixedScopeNarrowsTheCommandTypesOwn) {
  EXPECT_EQ(declaration_of<charge>(table).scope_of(charge{"A", 1}), "test.charge/billing");
}

TEST(CommandTable, AScopeFromAMemberNarrowsItToTheParent) {
  EXPECT_EQ(declaration_of<rename>(ledger_commands).scope_of(rename{"L-7", "x"}), "test.rename/L-7");
}

// Reserving and releasing one order line: both scope functions return the
// line, and the commands still never share an intent unless the table says so.
struct reserve_line {
  static constexpr std::string_view type_name = "test.reserve_line";
  std::string line;
};
struct release_line {
  static constexpr std::string_view type_name = "test.release_line";
  std::string line;
};
auto line_of(auto const& command) {
  return "order-9/" + command.line;
}

TEST(CommandTable, TwoCommandTypesWhoseScopesReturnTheSameTextDoNotShareIt) {
  constexpr auto lines = command_table(
      on<reserve_line>().scope(&line_of<reserve_line>).key(client_key).target(&reserve_line::line).repeat(return_prior),
      on<release_line>()
          .scope(&line_of<release_line>)
          .key(client_key)
          .target(&release_line::line)
          .repeat(return_prior));
  EXPECT_EQ(declaration_of<reserve_line>(lines).scope_of(reserve_line{"3"}), "test.reserve_line/order-9/3");
  EXPECT_EQ(declaration_of<release_line>(lines).scope_of(release_line{"3"}), "test.release_line/order-9/3");
}

TEST(CommandTable, AVerbatimScopeIsUsedAsWrittenSoTheTypesThatDeclareItShareIntents) {
  constexpr auto lines = command_table(
      on<reserve_line>()
          .verbatim_scope(&line_of<reserve_line>)
          .key(client_key)
          .target(&reserve_line::line)
          .repeat(return_prior),
      on<release_line>().verbatim_scope("order-9/3").key(client_key).target(&release_line::line).repeat(return_prior));
  EXPECT_EQ(declaration_of<reserve_line>(lines).scope_of(reserve_line{"3"}), "order-9/3");
  EXPECT_EQ(declaration_of<release_line>(lines).scope_of(release_line{"3"}), "order-9/3");
}

TEST(CommandTable, AKeyFromABusinessFieldIgnoresTheEnvelope) {
  auto const& declaration = declaration_of<top_up>(table);
  EXPECT_EQ(declaration.key_of(top_up{"A-1", 1}, with_key("ignored")), "A-1");
  EXPECT_EQ(declaration.key_of(top_up{"A-1", 1}, with_key(std::nullopt)), "A-1");
}

TEST(CommandTable, AClientKeyComesFromTheEnvelopeAndIsAbsentWithoutOne) {
  auto const& declaration = declaration_of<charge>(table);
  EXPECT_EQ(declaration.key_of(charge{"A", 1}, with_key("idem-1")), "idem-1");
  EXPECT_FALSE(declaration.key_of(charge{"A", 1}, with_key(std::nullopt)).has_value());
}

TEST(CommandTable, RetentionIsForeverUnlessDeclared) {
  EXPECT_FALSE(declaration_of<top_up>(table).retention().has_value());
  EXPECT_EQ(declaration_of<charge>(table).retention(), std::chrono::seconds{3600});
}

TEST(CommandTable, PoliciesAreKnownAtCompileTime) {
  static_assert(std::remove_cvref_t<decltype(declaration_of<top_up>(table))>::policy() == repeat_policy::return_prior);
  static_assert(std::remove_cvref_t<decltype(declaration_of<charge>(table))>::policy() ==
                repeat_policy::reject_conflict);
  static_assert(declares<top_up, decltype(table)>);
  static_assert(!declares<place_order, decltype(table)>);
  EXPECT_EQ(to_string(declaration_of<charge>(table).policy()), "reject_conflict");
}

struct ship_parcel {
  static constexpr std::string_view type_name = "test.ship_parcel";
  BOOST_HANA_DEFINE_STRUCT(ship_parcel, (std::int64_t, parcel_number), (std::uint32_t, depot));
};

constexpr auto numbered = command_table(on<ship_parcel>()
                                            .key(&ship_parcel::parcel_number)
                                            .target([](ship_parcel const& c) { return c.depot; })
                                            .repeat(return_prior));

TEST(CommandTable, IntegerKeysAndTargetsAreWrittenInDecimalByTheFramework) {
  auto const& declaration = declaration_of<ship_parcel>(numbered);
  EXPECT_EQ(declaration.key_of(ship_parcel{42, 7}, with_key("ignored")), "42");
  EXPECT_EQ(declaration.key_of(ship_parcel{-5, 7}, with_key(std::nullopt)), "-5");
  EXPECT_EQ(declaration.target_of(ship_parcel{42, 7}), "7");
}

constexpr auto guarded = command_table(
    on<top_up>()
        .key(&top_up::account)
        .target(&top_up::account)
        .only_if_exists([](top_up const& c) { return reject("account_not_found", "no account " + c.account); })
        .repeat(return_prior),
    on<charge>()
        .key(client_key)
        .target(&charge::account)
        .only_if_new([](charge const&) { return reject("exists", "already there"); })
        .repeat(reject_conflict));

TEST(CommandTable, AStatePreconditionGivesItsRefusalOnlyWhenItDoesNotHold) {
  auto const missing = declaration_of<top_up>(guarded).refusal_for(false, top_up{"A-9", 1});
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->code, "account_not_found");
  EXPECT_EQ(missing->detail, "no account A-9");
  EXPECT_FALSE(declaration_of<top_up>(guarded).refusal_for(true, top_up{"A-9", 1}).has_value());
  EXPECT_EQ(declaration_of<charge>(guarded).refusal_for(true, charge{"A", 1})->code, "exists");
  EXPECT_FALSE(declaration_of<charge>(guarded).refusal_for(false, charge{"A", 1}).has_value());
  EXPECT_FALSE(declaration_of<top_up>(table).refusal_for(false, top_up{"A", 1}).has_value()) << "none declared";
}

TEST(CommandTable, TheTargetNamesTheAggregateInstance) {
  EXPECT_EQ(declaration_of<charge>(table).target_of(charge{"ACC-3", 1}), "ACC-3");
}

}  // namespace
}  // namespace once_tests
