// The server restarted in the middle of a run: pooled connections break, the
// pool opens new ones, callers retry, and every intent takes effect once.
// Needs the throwaway cluster of scripts/test (ONCE_PG_DATA); it runs alone.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <once/application/command_dispatcher.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/pg_schema.hpp>
#include "support/ledger.hpp"
#include "support/ledger_checks.hpp"
#include "support/recording_metrics.hpp"
#include "support/retrying_sender.hpp"

namespace once_tests {
namespace {

using once::testing::pg_schema;
using namespace std::chrono_literals;

TEST(ExactlyOnceOnPostgres, ARestartOfTheServerDuringARunLeavesExactlyOnce) {
  char const* data = std::getenv("ONCE_PG_DATA");
  if (data == nullptr) GTEST_SKIP() << "restarting needs the throwaway cluster that scripts/test starts";
  std::string const cluster_dir = std::filesystem::path{data}.parent_path().string();

  pg_schema schema;
  auto store = once::postgres::pg_command_store::open(schema.options(16));
  ASSERT_TRUE(store.has_value());
  recording_metrics metrics;
  once::application::command_dispatcher<ledger> dispatcher{**store, {nullptr, nullptr, &metrics}};
  constexpr int threads = 16;
  constexpr int per_thread = 200;
  std::atomic<int> answered{0};
  std::promise<void> hundred_answered;  // the restart comes in the middle of the run
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&, t] {
      once::domain::envelope env;
      env.tenant = "tenant-restart";
      for (int i = 0; i < per_thread; ++i) {
        int const index = t * per_thread + i;
        deposit const command{"L-" + std::to_string(index % 20), "D-" + std::to_string(index), 1};
        if (send_until_answered(dispatcher, command, env, 2000).has_value() && ++answered == 100) {
          hundred_answered.set_value();
        }
      }
    });
  }
  EXPECT_EQ(hundred_answered.get_future().wait_for(60s), std::future_status::ready);  // joined below either way
  std::string const restart = std::string{ONCE_THROWAWAY_POSTGRES} + " restart '" + cluster_dir + "'";
  EXPECT_EQ(std::system(restart.c_str()), 0);
  for (auto& sender : senders) sender.join();
  EXPECT_GT(metrics.failures(), 0) << "no command saw the restart (the run ended first?): the test proved nothing";
  EXPECT_EQ(answered.load(), threads * per_thread);
  expect_exactly_once(schema, threads * per_thread);
}

}  // namespace
}  // namespace once_tests
