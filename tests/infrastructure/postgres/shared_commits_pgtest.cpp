// Commits decided at the same moment sharing one transaction
// (pg_options::shared_commit_statements): each command keeps its own checks
// and answer, a command on the aggregate of a running statement waits for it
// and is answered without a statement when it moved the aggregate, a shared
// statement that fails sends each of its commands again alone, and a
// connection lost under one leaves each command committed once.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <once/application/waiting.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/eventually.hpp>
#include "application/command_store_contract.hpp"
#include "application/one_step_contract.hpp"
#include "application/semantics_table_contract.hpp"
#include "support/counting_waiting.hpp"
#include "support/pg_under_test.hpp"

namespace once_tests {

// The semantics and one-step suites run on the default store, which shares
// commits; here they run again with each command committing alone.
INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStoreEachCommitAlone, SemanticsTable, pg_store_alone_factory);
INSTANTIATE_TYPED_TEST_SUITE_P(PostgresStoreEachCommitAlone, OneStepDispatch, pg_store_alone_factory);

namespace {

using once::application::decided_commit;
using once::testing::eventually;
using once::testing::pg_schema;

std::unique_ptr<once::postgres::pg_command_store> open_sharing(pg_schema const& schema, std::size_t statements,
                                                               std::chrono::milliseconds statement_timeout = 5s) {
  auto options = schema.options();
  options.shared_commit_statements = statements;
  options.light_load_commit_statements = statements;  // a second command queues, however light the load
  options.statement_timeout = statement_timeout;
  auto opened = once::postgres::pg_command_store::open(options);
  if (!opened) throw std::runtime_error(opened.error().message);
  return std::move(*opened);
}

// Waits long enough for a lock the test holds.
app::claim_waits patient_waits() {
  return {50ms, 30s};
}

// A session of the test's own holding an aggregate's lock, as a command of another instance would.
class aggregate_lock_holder {
 public:
  aggregate_lock_holder(pg_schema const& schema, std::string const& aggregate_id)
      : connection_(schema.url()), lock_key_(aggregate_lock_key(schema, aggregate_id)) {
    pqxx::nontransaction{connection_}.exec("SELECT pg_advisory_lock(" + lock_key_ + ")");
  }
  void release() { pqxx::nontransaction{connection_}.exec("SELECT pg_advisory_unlock(" + lock_key_ + ")"); }

  // The lock's key of an aggregate of the contract's commands, as an SQL expression.
  static std::string aggregate_lock_key(pg_schema const& schema, std::string const& aggregate_id) {
    return schema.name() + ".once_aggregate_lock('tenant-c', 'contract.aggregate', '" + aggregate_id + "')";
  }

 private:
  pqxx::connection connection_;
  std::string lock_key_;
};

// The backend whose statement waits for the lock of the aggregate (one
// held by an aggregate_lock_holder), 0 when none does. Statements carry
// their values as parameters, so pg_stat_activity's text does not tell one
// command from another; the lock waited for does.
int backend_waiting_for(pg_schema const& schema, std::string const& aggregate_id) {
  // A bigint advisory key is held as its high and low 32 bits.
  return static_cast<int>(
      schema.scalar("SELECT coalesce(max(pid), 0) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
                    "(classid::bigint << 32 | objid::bigint) = " +
                    aggregate_lock_holder::aggregate_lock_key(schema, aggregate_id)));
}

// How many transactions wrote the intents whose keys start with `prefix`.
std::int64_t transactions_that_wrote(pg_schema const& schema, std::string const& prefix) {
  return schema.scalar("SELECT count(DISTINCT xmin::text) FROM ${schema}.once_intents WHERE key LIKE '" + prefix +
                       "%'");
}

struct decided {
  app::intent_claim claim;
  app::command_effects effects;
};

decided new_aggregate_command(std::string const& key, std::string const& aggregate) {
  auto claim = contract_claim(key, aggregate);
  claim.serialise = false;
  auto effects = contract_effects(claim, 0);
  return {std::move(claim), std::move(effects)};
}

// Commits on a thread of its own; `waits` counts the signal it makes when it queues.
std::future<app::result<decided_commit>> commit_aside(once::postgres::pg_command_store& store, decided command,
                                                      counting_waiting& waits,
                                                      app::claim_waits lock_waits = patient_waits()) {
  return std::async(std::launch::async, [&store, &waits, lock_waits, command = std::move(command)] {
    once::application::waiting_scope scope{waits};
    return store.commit_decided(command.claim, command.effects, lock_waits);
  });
}

// Commits on a thread of its own and returns once the commit queued behind a running statement.
std::future<app::result<decided_commit>> queue_commit(once::postgres::pg_command_store& store, decided command,
                                                      counting_waiting& waits,
                                                      app::claim_waits lock_waits = patient_waits()) {
  int const before = waits.signals();
  auto committing = commit_aside(store, std::move(command), waits, lock_waits);
  EXPECT_TRUE(eventually([&] { return waits.signals() == before + 1; }, 10s)) << "the commit did not queue";
  return committing;
}

void expect_committed(app::result<decided_commit> const& answer) {
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_EQ(answer->state, decided_commit::status::committed);
}

// A store sharing commits, one statement at a time. The test holds that
// statement running (its command waits for an aggregate lock the test holds)
// while it queues the commands under test behind it.
class SharedCommits : public ::testing::Test {
 protected:
  // Starts a command on "held" and returns once its statement waits for the test's lock.
  void hold_a_running_statement() {
    running_ = commit_aside(*store, new_aggregate_command("alone-held", "held"), waits);
    ASSERT_TRUE(eventually([&] { return backend_waiting_for(schema, "held") != 0; }, 10s));
  }
  std::future<app::result<decided_commit>> queue(decided command, app::claim_waits lock_waits = patient_waits()) {
    return queue_commit(*store, std::move(command), waits, lock_waits);
  }
  // The running statement's command commits; the queued commands go in the next statement.
  void end_the_running_statement() {
    holder_.release();
    expect_committed(running_.get());
  }

  pg_schema schema;
  std::unique_ptr<once::postgres::pg_command_store> store = open_sharing(schema, 1);
  counting_waiting waits;

 private:
  aggregate_lock_holder holder_{schema, "held"};
  std::future<app::result<decided_commit>> running_;
};

TEST_F(SharedCommits, CommandsDecidedWhileTheStatementRunsCommitTogetherInTheNext) {
  hold_a_running_statement();
  std::vector<std::future<app::result<decided_commit>>> queued;
  for (int i = 0; i < 5; ++i) {
    queued.push_back(queue(new_aggregate_command("together-" + std::to_string(i), "own-" + std::to_string(i))));
  }
  end_the_running_statement();
  for (auto& answer : queued) expect_committed(answer.get());

  EXPECT_EQ(transactions_that_wrote(schema, "together-"), 1);
  EXPECT_EQ(transactions_that_wrote(schema, ""), 2);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox"), 6);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_aggregates WHERE version = 1"), 6);
}

TEST_F(SharedCommits, EachCommandOfASharedStatementHasItsOwnAnswer) {
  auto const done_before = new_aggregate_command("done-before", "agg-done");
  expect_committed(store->commit_decided(done_before.claim, done_before.effects, patient_waits()));
  auto const existing = new_aggregate_command("existing", "agg-existing");
  expect_committed(store->commit_decided(existing.claim, existing.effects, patient_waits()));
  hold_a_running_statement();
  auto repeat = queue(done_before);                                           // committed before
  auto moved = queue(new_aggregate_command("shared-moved", "agg-existing"));  // decided on version 0
  auto fresh = queue(new_aggregate_command("shared-new", "agg-new"));
  end_the_running_statement();

  auto const repeated = repeat.get();
  ASSERT_TRUE(repeated.has_value()) << repeated.error().message;
  EXPECT_EQ(repeated->state, decided_commit::status::repeat);
  auto const was_moved = moved.get();
  ASSERT_TRUE(was_moved.has_value()) << was_moved.error().message;
  EXPECT_EQ(was_moved->state, decided_commit::status::moved);
  ASSERT_TRUE(was_moved->current.has_value());
  EXPECT_EQ(was_moved->current->version, 1);
  expect_committed(fresh.get());
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key = 'shared-moved'"), 0);
  // done-before, existing, alone-held and shared-new
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox"), 4);
}

TEST_F(SharedCommits, ACommandOnTheAggregateOfARunningStatementIsAnsweredWhatThatStatementLeft) {
  hold_a_running_statement();
  auto follows = queue(new_aggregate_command("follows-held", "held"));  // decided on version 0, as the running one
  EXPECT_EQ(follows.wait_for(50ms), std::future_status::timeout) << "answered before the statement it follows ended";
  end_the_running_statement();

  auto const moved = follows.get();
  ASSERT_TRUE(moved.has_value()) << moved.error().message;
  EXPECT_EQ(moved->state, decided_commit::status::moved);
  EXPECT_TRUE(moved->moved_by_own_commit);
  ASSERT_TRUE(moved->current.has_value());
  EXPECT_EQ(moved->current->version, 1);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key = 'follows-held'"), 0);
  EXPECT_EQ(transactions_that_wrote(schema, ""), 1) << "it sent no statement of its own";
}

TEST_F(SharedCommits, ACommandFollowingACommitThatWasNotWrittenIsSentItself) {
  auto const first = new_aggregate_command("first", "agg-first");
  expect_committed(store->commit_decided(first.claim, first.effects, patient_waits()));
  hold_a_running_statement();
  auto clash = new_aggregate_command("clash", "agg-clash");
  clash.effects.outbox.at(0).message_id = first.effects.outbox.at(0).message_id;  // refused: message ids are unique
  auto refused = queue(clash);
  auto along = queue(new_aggregate_command("along", "agg-along"));
  auto follows = queue(new_aggregate_command("follows-clash", "agg-clash"));
  end_the_running_statement();

  expect_committed(along.get());
  auto const sent = follows.get();
  ASSERT_TRUE(sent.has_value()) << sent.error().message;
  EXPECT_EQ(sent->state, decided_commit::status::committed);
  // Alone, the clash is refused, or answered moved if the follower was first.
  auto const clashed = refused.get();
  EXPECT_TRUE(!clashed.has_value() || clashed->state == decided_commit::status::moved);
  EXPECT_EQ(schema.scalar("SELECT version FROM ${schema}.once_aggregates WHERE aggregate_id = 'agg-clash'"), 1);
}

TEST_F(SharedCommits, AStatementThatFailsSendsEachOfItsCommandsAgainAlone) {
  auto const first = new_aggregate_command("first", "agg-first");
  expect_committed(store->commit_decided(first.claim, first.effects, patient_waits()));
  hold_a_running_statement();
  auto clash = new_aggregate_command("clash", "agg-clash");
  clash.effects.outbox.at(0).message_id = first.effects.outbox.at(0).message_id;  // refused: message ids are unique
  std::vector<std::future<app::result<decided_commit>>> fine;
  fine.push_back(queue(new_aggregate_command("fine-0", "agg-0")));
  auto refused = queue(clash);
  fine.push_back(queue(new_aggregate_command("fine-1", "agg-1")));
  end_the_running_statement();

  for (auto& answer : fine) expect_committed(answer.get());
  auto const refusal = refused.get();
  ASSERT_FALSE(refusal.has_value());
  EXPECT_EQ(refusal.error().store_code, "23505");
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key = 'clash'"), 0);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_aggregates WHERE aggregate_id = 'agg-clash'"), 0);
  EXPECT_EQ(transactions_that_wrote(schema, "fine-"), 2);  // each alone
}

TEST_F(SharedCommits, AConnectionLostUnderASharedStatementLeavesEachCommandCommittedOnce) {
  aggregate_lock_holder shared_statements_lock{schema, "held-in-shared"};
  hold_a_running_statement();
  std::vector<std::future<app::result<decided_commit>>> queued;
  queued.push_back(queue(new_aggregate_command("lost-held", "held-in-shared")));
  for (int i = 0; i < 3; ++i) {
    queued.push_back(queue(new_aggregate_command("lost-" + std::to_string(i), "agg-" + std::to_string(i))));
  }
  end_the_running_statement();
  // The shared statement now waits for the second lock, its first command's.
  ASSERT_TRUE(eventually([&] { return backend_waiting_for(schema, "held-in-shared") != 0; }, 10s));
  EXPECT_TRUE(schema.scalar("SELECT pg_terminate_backend(" +
                            std::to_string(backend_waiting_for(schema, "held-in-shared")) + ")::int") == 1);
  shared_statements_lock.release();

  for (auto& answer : queued) expect_committed(answer.get());
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key LIKE 'lost-%'"), 4);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE message_id LIKE 'lost-%'"), 4);
  EXPECT_EQ(transactions_that_wrote(schema, "lost-"), 4);  // each sent again alone
}

// A store whose statements are bounded closely: 300 ms beyond their allowed lock waits.
class SharedCommitsBoundedClosely : public SharedCommits {
 protected:
  SharedCommitsBoundedClosely() { store = open_sharing(schema, 1, 300ms); }
};

TEST_F(SharedCommitsBoundedClosely, AStatementPastItsLongestCommandsBoundAnswersOutcomeUnknownAndRetriesCommitOnce) {
  aggregate_lock_holder first_lock{schema, "slow-first"};
  aggregate_lock_holder second_lock{schema, "slow-second"};
  app::claim_waits const four_seconds_each{50ms, 4s};  // each command alone is bounded at 4.35 s
  hold_a_running_statement();
  auto const first = new_aggregate_command("slow-0", "slow-first");
  auto const second = new_aggregate_command("slow-1", "slow-second");
  auto first_answer = queue(first, four_seconds_each);
  auto second_answer = queue(second, four_seconds_each);
  end_the_running_statement();
  // The shared statement waits for each lock in turn, each time for less
  // than the 4 s it may, in all for longer than the 4.35 s it is given.
  ASSERT_TRUE(eventually([&] { return backend_waiting_for(schema, "slow-first") != 0; }, 10s));
  auto const shared_backend = std::to_string(backend_waiting_for(schema, "slow-first"));
  ASSERT_TRUE(eventually(
      [&] {
        return schema.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = " + shared_backend +
                             " AND wait_event = 'advisory' AND clock_timestamp() - query_start >= interval '2.5 s'") >
               0;
      },
      10s));
  first_lock.release();

  for (auto* answer : {&first_answer, &second_answer}) {
    auto const unknown = answer->get();
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(unknown.error().code, app::error_code::outcome_unknown);
  }
  second_lock.release();
  // Its backend ends the statement (committed or not) and lets the intents go; each retried alone commits once.
  ASSERT_TRUE(eventually(
      [&] {
        return schema.scalar("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid = " +
                             shared_backend) == 0;
      },
      10s));
  for (auto const* command : {&first, &second}) {
    auto const retried = store->commit_decided(command->claim, command->effects, patient_waits());
    ASSERT_TRUE(retried.has_value()) << retried.error().message;
    EXPECT_TRUE(retried->state == decided_commit::status::committed ||
                retried->state == decided_commit::status::repeat);
  }
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key LIKE 'slow-%'"), 2);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE message_id LIKE 'slow-%'"), 2);
}

}  // namespace
}  // namespace once_tests
