// Exactly once under real concurrency, crashes and lost connections, with
// each command committed in a transaction of its own and with commands
// decided at the same moment sharing one (pg_options::shared_commit_statements).
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/pg_schema.hpp>
#include "support/ledger.hpp"
#include "support/ledger_checks.hpp"
#include "support/retrying_sender.hpp"

namespace once_tests {
namespace {

using once::testing::child_process;
using once::testing::pg_schema;
using namespace std::chrono_literals;

struct ack {
  int index;
  std::string kind;
  std::string result;
};

std::vector<ack> acks_of(child_process const& worker) {
  std::vector<ack> acks;
  for (auto const& line : worker.output_lines()) {
    std::istringstream fields(line);
    std::string word;
    ack parsed{};
    if (fields >> word >> parsed.index >> parsed.kind >> parsed.result && word == "ack") acks.push_back(parsed);
  }
  return acks;
}

// The parameter: pg_options::shared_commit_statements.
class ExactlyOnceOnPostgres : public ::testing::TestWithParam<std::size_t> {
 protected:
  once::postgres::pg_options store_options(pg_schema const& schema, std::size_t pool_size,
                                           std::string application_name = "once-test") const {
    auto options = schema.options(pool_size, std::move(application_name));
    options.shared_commit_statements = GetParam();
    return options;
  }
  std::vector<std::string> worker_arguments(pg_schema const& schema, int from, int to, int copies, int process,
                                            int processes, int threads) const {
    std::vector<std::string> arguments{"--database-url", schema.url(),
                                       "--schema",       schema.name(),
                                       "--from",         std::to_string(from),
                                       "--to",           std::to_string(to),
                                       "--copies",       std::to_string(copies),
                                       "--process",      std::to_string(process),
                                       "--processes",    std::to_string(processes),
                                       "--threads",      std::to_string(threads),
                                       "--aggregates",   "50",
                                       "--seed",         std::to_string(process + 17)};
    arguments.insert(arguments.end(), {"--shared-commits", std::to_string(GetParam())});
    return arguments;
  }
};

INSTANTIATE_TEST_SUITE_P(Store, ExactlyOnceOnPostgres, ::testing::Values(std::size_t{0}, std::size_t{2}),
                         [](::testing::TestParamInfo<std::size_t> const& shared) {
                           return shared.param == 0 ? std::string{"EachCommandAlone"} : std::string{"SharedCommits"};
                         });

TEST_P(ExactlyOnceOnPostgres, SixtyFourThreadsInFourProcessesSendingEachIntentThreeTimesProduceOneEffectEach) {
  pg_schema schema;
  constexpr int intents = 500;
  std::vector<std::unique_ptr<child_process>> workers;
  for (int process = 0; process < 4; ++process) {
    workers.push_back(
        std::make_unique<child_process>(ONCE_PG_WORKER, worker_arguments(schema, 0, intents, 3, process, 4, 16)));
  }
  std::map<int, std::set<std::string>> results;
  std::map<int, int> answers;
  int applied = 0;
  for (auto& worker : workers) {
    EXPECT_EQ(worker->wait_for_exit(), 0);
    for (auto const& acked : acks_of(*worker)) {
      results[acked.index].insert(acked.result);
      ++answers[acked.index];
      applied += acked.kind == "applied" ? 1 : 0;
    }
  }
  EXPECT_EQ(applied, intents);
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(intents));
  for (auto const& [index, count] : answers) EXPECT_EQ(count, 3) << "intent " << index;
  for (auto const& [index, distinct] : results) {
    EXPECT_EQ(distinct.size(), 1U) << "callers of intent " << index << " saw different results";
  }
  expect_exactly_once(schema, intents);
}

TEST_P(ExactlyOnceOnPostgres, ThirtyTwoThreadsOnTenHotAggregatesLoseNoUpdate) {
  pg_schema schema;
  auto store = once::postgres::pg_command_store::open(store_options(schema, 32));
  ASSERT_TRUE(store.has_value());
  once::application::command_dispatcher<ledger> dispatcher{**store};
  constexpr int threads = 32;
  constexpr int per_thread = 20;
  std::atomic<int> applied{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      once::domain::envelope env;
      env.tenant = "tenant-hot";
      for (int i = 0; i < per_thread; ++i) {
        int const index = t * per_thread + i;
        auto const answer = send_until_answered(
            dispatcher, deposit{"L-" + std::to_string(index % 10), "D-" + std::to_string(index), 1}, env);
        if (answer.has_value() && answer->kind() == once::domain::outcome_kind::applied) ++applied;
      }
    });
  }
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(applied.load(), threads * per_thread);
  expect_exactly_once(schema, threads * per_thread);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_aggregates"), 10);
}

TEST_P(ExactlyOnceOnPostgres, WorkersKilledMidRunThenRetriedGiveExactlyOnceAndLoseNothing) {
  pg_schema schema;
  constexpr int intents = 500;
  std::mt19937 random{20261123};
  std::map<int, std::string> first_answer;
  int killed_mid_run = 0;
  for (int round = 0; round < 4; ++round) {
    child_process worker(ONCE_PG_WORKER, worker_arguments(schema, 0, intents, 1, 0, 1, 16));
    std::this_thread::sleep_for(std::chrono::milliseconds{20 + random() % 120});
    worker.kill_hard();
    killed_mid_run += worker.wait_for_exit() == 128 + SIGKILL ? 1 : 0;
    for (auto const& acked : acks_of(worker)) first_answer.emplace(acked.index, acked.result);
  }
  ASSERT_GT(killed_mid_run, 0) << "every worker finished before it was killed: the test proved nothing";
  std::cout << "[ note ] " << killed_mid_run << " workers killed mid-run; " << first_answer.size() << " of " << intents
            << " intents acknowledged before the final pass\n";
  // Every client retries everything it did not see acknowledged (and, here, the rest too).
  child_process final_pass(ONCE_PG_WORKER, worker_arguments(schema, 0, intents, 1, 0, 1, 16));
  ASSERT_EQ(final_pass.wait_for_exit(), 0);
  auto const final_acks = acks_of(final_pass);
  ASSERT_EQ(final_acks.size(), static_cast<std::size_t>(intents));
  for (auto const& acked : final_acks) {
    if (auto earlier = first_answer.find(acked.index); earlier != first_answer.end()) {
      EXPECT_EQ(acked.kind, "replayed") << "intent " << acked.index << " was acknowledged before the kill";
      EXPECT_EQ(acked.result, earlier->second) << "intent " << acked.index;
    }
  }
  expect_exactly_once(schema, intents);
}

// Terminates one of the test's own backends every 5 ms until stopped or
// `budget` backends are gone. The budget keeps a slow hour from turning the
// chaos into a livelock: when a try takes longer than the pool's connections
// live, every try is cut and the test would measure the machine, not the store.
class backend_killer {
 public:
  backend_killer(std::string url, std::string application_name, int budget)
      : thread_([this, budget, url = std::move(url), application_name = std::move(application_name)] {
          std::string const statement_text =
              "SELECT count(pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity "
              "WHERE application_name = '" +
              application_name + "' ORDER BY random() LIMIT 1) victim";
          std::unique_ptr<pqxx::connection> connection;
          while (!stop_ && kills_ < budget) {
            try {
              if (connection == nullptr || !connection->is_open()) connection = std::make_unique<pqxx::connection>(url);
              pqxx::nontransaction statement{*connection};
              kills_ += statement.exec(statement_text).at(0).at(0).as<int>();
            } catch (std::exception const& failure) {
              connection.reset();  // the killer's own connection broke: open another
              ++own_failures_;
            }
            std::this_thread::sleep_for(5ms);
          }
        }) {}
  ~backend_killer() { stop(); }
  int stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return kills_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> kills_{0};
  std::atomic<int> own_failures_{0};
  std::thread thread_;
};

TEST_P(ExactlyOnceOnPostgres, BackendsTerminatedAtRandomPointsLeaveExactlyOnceAndThePoolRecovers) {
  pg_schema schema;
  std::string const application = "once-chaos-" + schema.name();
  auto store = once::postgres::pg_command_store::open(store_options(schema, 16, application));
  ASSERT_TRUE(store.has_value());
  once::application::command_dispatcher<ledger> dispatcher{**store};
  constexpr int threads = 16;
  constexpr int per_thread = 50;
  // While a backend dies every few milliseconds any try can be cut, so a
  // client may run out of tries on an intent; it asks again once the chaos
  // ends, as a real client would. How many run out depends on the machine's
  // speed; that each intent then takes effect exactly once does not.
  constexpr int tries_during_chaos = 40;
  std::atomic<int> answered_during_chaos{0};
  std::mutex unanswered_mutex;
  std::vector<deposit> unanswered;
  // ~800–1,100 backends died over a whole run on a 2-core machine at its usual speed.
  backend_killer killer{schema.url(), application, 600};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      once::domain::envelope env;
      env.tenant = "tenant-chaos";
      for (int i = 0; i < per_thread; ++i) {
        int const index = t * per_thread + i;
        deposit const command{"L-" + std::to_string(index % 20), "D-" + std::to_string(index), 1};
        try {
          if (send_until_answered(dispatcher, command, env, tries_during_chaos).has_value()) {
            ++answered_during_chaos;
          } else {
            std::lock_guard const lock(unanswered_mutex);
            unanswered.push_back(command);
          }
        } catch (std::exception const& escaped) {  // the store must never throw: fail loudly, not abort
          ADD_FAILURE() << "an exception escaped the dispatcher: " << escaped.what();
        }
      }
    });
  }
  for (auto& sender : senders) sender.join();
  int const kills = killer.stop();
  EXPECT_GT(kills, 0) << "the test terminated no backend, so it proved nothing";
  EXPECT_GT(answered_during_chaos.load(), 0) << "no intent got through while backends died";
  std::cout << "[ note ] " << kills << " backends terminated; " << answered_during_chaos.load() << " of "
            << threads * per_thread << " intents answered meanwhile, the rest after\n";
  // The pool recovers: every intent left is answered now.
  once::domain::envelope after_chaos;
  after_chaos.tenant = "tenant-chaos";
  for (auto const& command : unanswered) {
    EXPECT_TRUE(send_until_answered(dispatcher, command, after_chaos).has_value()) << "deposit " << command.deposit_id;
  }
  expect_exactly_once(schema, threads * per_thread);
  // Retrying everything now replays: nothing runs twice.
  once::domain::envelope env;
  env.tenant = "tenant-chaos";
  auto const again = dispatcher.dispatch(deposit{"L-3", "D-3", 1}, env);
  ASSERT_TRUE(again.has_value()) << again.error().message;
  EXPECT_EQ(again->kind(), once::domain::outcome_kind::replayed);
}

}  // namespace
}  // namespace once_tests
