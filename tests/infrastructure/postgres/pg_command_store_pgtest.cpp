// The store contract and every cell of the semantics table, on PostgreSQL.
#include <once/postgres/pg_command_store.hpp>

#include <future>

#include <once/testing/eventually.hpp>

#include "application/command_store_contract.hpp"
#include "application/one_step_contract.hpp"
#include "application/semantics_table_contract.hpp"
#include "support/pg_under_test.hpp"

namespace once_tests {

using once::testing::database_url;

INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStore, CommandStoreContract, pg_contract_factory);
INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStore, SemanticsTable, pg_store_factory);
INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStore, OneStepDispatch, pg_store_factory);

TEST(PostgresStoreOptions, RefuseASchemaNameThatIsNotAPlainIdentifier) {
  for (std::string const& bad : std::vector<std::string>{"", "Public", "x;drop", "1abc", std::string(64, 'a')}) {
    auto const opened = once::postgres::pg_command_store::open({"postgresql://unused", bad});
    ASSERT_FALSE(opened.has_value()) << bad;
    EXPECT_EQ(opened.error().code, once::application::error_code::invalid_argument);
  }
}

TEST(PostgresStore, ReportsAnUnreachableServerAsUnavailable) {
  once::postgres::pg_options options;
  options.database_url = "postgresql://once@127.0.0.1:1/postgres?connect_timeout=2";
  auto store = once::postgres::pg_command_store::open(options);
  ASSERT_TRUE(store.has_value());
  auto const pinged = (*store)->ping();
  ASSERT_FALSE(pinged.has_value());
  EXPECT_EQ(pinged.error().code, once::application::error_code::unavailable);
}

// Advisory locks belong to the database, not to a schema: two services on
// their own schemas of one database, with the same tenant and key, must not
// wait for each other (a held intent here would be "in flight" there).
TEST(PostgresStore, StoresOnTwoSchemasOfOneDatabaseNeverWaitForEachOther) {
  pg_schema first_schema;
  pg_schema second_schema;
  auto first = once::postgres::pg_command_store::open(first_schema.options());
  auto second = once::postgres::pg_command_store::open(second_schema.options());
  ASSERT_TRUE(first.has_value() && second.has_value());
  auto const claim = contract_claim("same-key", "same-aggregate");  // serialising: holds both locks
  auto held = (*first)->claim(claim, contract_waits());
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->state, once::application::claim_result::status::claimed);
  auto other = (*second)->claim(claim, contract_waits());
  ASSERT_TRUE(other.has_value()) << other.error().message;
  EXPECT_EQ(other->state, once::application::claim_result::status::claimed);
  if (other->state == once::application::claim_result::status::claimed) {
    EXPECT_TRUE(other->claim->commit(contract_effects(claim, 0)).has_value());
  }
  EXPECT_TRUE(held->claim->commit(contract_effects(claim, 0)).has_value());
}

// PostgreSQL's message, DETAIL and CONTEXT quote the data (here a JSON
// excerpt with a card number); errors go to logs, so they carry the
// SQLSTATE and none of the server's words.
TEST(PostgresStore, KeepsTheServersErrorTextOutOfItsErrors) {
  pg_schema schema;
  auto store = once::postgres::pg_command_store::open(schema.options());
  ASSERT_TRUE(store.has_value());
  auto const claim = contract_claim("refused-by-jsonb");
  auto claimed = (*store)->claim(claim, contract_waits());
  ASSERT_TRUE(claimed.has_value());
  ASSERT_EQ(claimed->state, once::application::claim_result::status::claimed);
  auto const effects = contract_effects(claim, 0, R"({"description":"card 4111-1111-1111-1111 \u0000"})");
  auto const committed = claimed->claim->commit(effects);
  ASSERT_FALSE(committed.has_value());
  EXPECT_EQ(committed.error().code, once::application::error_code::internal);
  EXPECT_EQ(committed.error().store_code, "22P05");
  EXPECT_EQ(committed.error().message.find("4111"), std::string::npos) << committed.error().message;
  EXPECT_EQ(committed.error().message.find("\\u0000"), std::string::npos) << committed.error().message;
}

TEST(PostgresStore, ReportsAMissingSchemaAsFailedPrecondition) {
  once::postgres::pg_options options;
  options.database_url = database_url();
  options.schema = "never_migrated_schema";
  auto store = once::postgres::pg_command_store::open(options);
  ASSERT_TRUE(store.has_value());
  auto const found = (*store)->find({"t", "s", "k"});
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code, once::application::error_code::failed_precondition);
  EXPECT_EQ(found.error().store_code, "3F000");
}

}  // namespace once_tests

namespace once_tests {

TEST(PostgresStore, LeavesNoTransactionOpenAfterARepeatOrAnInFlightAnswer) {
  pg_schema schema;
  std::string const application = "once-idle-" + schema.name();
  auto store = once::postgres::pg_command_store::open(schema.options(2, application));
  ASSERT_TRUE(store.has_value());
  auto const claim = contract_claim("k");
  {
    auto claimed = (*store)->claim(claim, contract_waits());
    ASSERT_TRUE(claimed->claim->commit(contract_effects(claim, 0)).has_value());
  }
  auto const repeat = (*store)->claim(claim, contract_waits());
  ASSERT_EQ(repeat->state, once::application::claim_result::status::repeat);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + application +
                          "' AND state <> 'idle' AND pid <> pg_backend_pid()"),
            0)
      << "a pooled connection sits inside a transaction, holding locks that block DDL";
}

// The server ended a pooled connection while it sat idle (pg_terminate_backend,
// an idle timeout): the pool replaces it where it finds it, before sending
// anything on it, and keeps its other idle connections instead of dropping
// them all as after a server restart.
TEST(PostgresStore, ReplacesAConnectionTheServerEndedWhileIdleAndKeepsTheOthers) {
  using once::application::claim_result;
  pg_schema schema;
  std::string const application = "once-pool-" + schema.name();
  auto store = once::postgres::pg_command_store::open(schema.options(2, application));
  ASSERT_TRUE(store.has_value());
  std::string const backends = "FROM pg_stat_activity WHERE application_name = '" + application + "'";
  std::int64_t ended = 0;
  {
    auto held = (*store)->claim(contract_claim("held", "agg-1"), contract_waits());
    ASSERT_TRUE(held.has_value() && held->state == claim_result::status::claimed);
    ended = schema.scalar("SELECT pid " + backends + " AND state LIKE 'idle in transaction%'");
    auto const other_claim = contract_claim("other", "agg-2");
    auto other = (*store)->claim(other_claim, contract_waits());
    ASSERT_TRUE(other.has_value() && other->state == claim_result::status::claimed);
    ASSERT_TRUE(other->claim->commit(contract_effects(other_claim, 0)).has_value());
  }  // `other` goes back to the pool first, then `held`: the next command takes held's connection
  ASSERT_EQ(schema.scalar("SELECT count(*) " + backends), 2);
  std::int64_t const kept = schema.scalar("SELECT pid " + backends + " AND pid <> " + std::to_string(ended));
  ASSERT_EQ(schema.scalar("SELECT count(pg_terminate_backend(" + std::to_string(ended) + "))"), 1);
  ASSERT_TRUE(once::testing::eventually(
      [&] { return schema.scalar("SELECT count(*) " + backends + " AND pid = " + std::to_string(ended)) == 0; }, 10s));

  auto const after_claim = contract_claim("after", "agg-3");
  auto after = (*store)->claim(after_claim, contract_waits());
  ASSERT_TRUE(after.has_value()) << after.error().message;
  ASSERT_EQ(after->state, claim_result::status::claimed);
  EXPECT_TRUE(after->claim->commit(contract_effects(after_claim, 0)).has_value());
  EXPECT_EQ(schema.scalar("SELECT count(*) " + backends + " AND pid = " + std::to_string(kept)), 1)
      << "the pool dropped an idle connection that was fine";
}

// A connection lost in the middle of a statement (its backend ended while the
// claim waited for the intent's lock) is retried on a new connection, and the
// pool keeps its idle connections, which nothing happened to: one loss does
// not make every thread reconnect.
TEST(PostgresStore, RetriesOnANewConnectionAfterALossAndKeepsTheIdleOnes) {
  using once::application::claim_result;
  pg_schema schema;
  std::string const application = "once-loss-" + schema.name();
  auto store = once::postgres::pg_command_store::open(schema.options(3, application));
  ASSERT_TRUE(store.has_value());
  std::string const backends = "FROM pg_stat_activity WHERE application_name = '" + application + "'";
  auto const contested = contract_claim("contested", "agg-1");
  auto held = (*store)->claim(contested, contract_waits());
  ASSERT_TRUE(held.has_value() && held->state == claim_result::status::claimed);
  {
    auto const first_claim = contract_claim("spare-1", "agg-2");
    auto const second_claim = contract_claim("spare-2", "agg-3");
    auto first = (*store)->claim(first_claim, contract_waits());
    auto second = (*store)->claim(second_claim, contract_waits());
    ASSERT_TRUE(first.has_value() && first->state == claim_result::status::claimed);
    ASSERT_TRUE(second.has_value() && second->state == claim_result::status::claimed);
    ASSERT_TRUE(first->claim->commit(contract_effects(first_claim, 0)).has_value());
    ASSERT_TRUE(second->claim->commit(contract_effects(second_claim, 0)).has_value());
  }  // both connections go back idle: one will wait for the lock, the other stays idle
  ASSERT_EQ(schema.scalar("SELECT count(*) " + backends + " AND state = 'idle'"), 2);

  auto waiting = std::async(std::launch::async, [&] {
    return (*store)->claim(contested, once::application::claim_waits{30s, 30s});
  });
  std::string const waiting_for_lock = backends + " AND wait_event_type = 'Lock'";
  ASSERT_TRUE(
      once::testing::eventually([&] { return schema.scalar("SELECT count(*) " + waiting_for_lock) == 1; }, 10s));
  std::int64_t const lost = schema.scalar("SELECT pid " + waiting_for_lock);
  std::int64_t const kept = schema.scalar("SELECT pid " + backends + " AND state = 'idle'");
  ASSERT_EQ(schema.scalar("SELECT count(pg_terminate_backend(" + std::to_string(lost) + "))"), 1);
  // The claim is sent again on a new connection and waits for the lock again.
  ASSERT_TRUE(once::testing::eventually(
      [&] { return schema.scalar("SELECT count(*) " + waiting_for_lock + " AND pid <> " + std::to_string(lost)) == 1; },
      10s));
  ASSERT_TRUE(held->claim->commit(contract_effects(contested, 0)).has_value());

  auto const answer = waiting.get();
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->state, claim_result::status::repeat) << "the retry did not see the holder's commit";
  EXPECT_EQ(schema.scalar("SELECT count(*) " + backends + " AND pid = " + std::to_string(kept)), 1)
      << "the pool dropped an idle connection that was fine";
}

}  // namespace once_tests
