// The dispatcher's metrics as Prometheus text: what a scrape of /metrics shows.
#include <once/prometheus/prometheus_metrics.hpp>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <once/application/command_dispatcher.hpp>
#include <once/memory/memory_command_store.hpp>

#include "support/ledger.hpp"

namespace once_tests {
namespace {

using namespace std::chrono_literals;

// The value of the sample `series` (name and labels, exactly as exposed), or -1 when absent.
double sample(std::string const& text, std::string const& series) {
  auto const at = text.find('\n' + series + ' ');
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class PrometheusMetrics : public ::testing::Test {
 protected:
  static once::domain::envelope envelope_with(std::string key) {
    once::domain::envelope env;
    env.tenant = "tenant-a";
    env.client_key = std::move(key);
    return env;
  }

  once::prometheus::prometheus_metrics metrics;
  once::memory::memory_command_store store;
  once::application::command_dispatcher<ledger> dispatcher{store, {nullptr, nullptr, &metrics}};
};

TEST_F(PrometheusMetrics, CountsCommandsByTypeAndOutcome) {
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k-1")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-2", 100}, envelope_with("k-2")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(withdraw{"L-1", 1000}, envelope_with("k-3")).has_value());  // refused
  auto const text = metrics.text();
  EXPECT_EQ(sample(text, R"(once_commands_total{command_type="test.deposit",outcome="applied"})"), 2);
  EXPECT_EQ(sample(text, R"(once_commands_total{command_type="test.withdraw",outcome="rejected"})"), 1);
  EXPECT_EQ(sample(text, R"(once_command_duration_seconds_count{command_type="test.deposit"})"), 2);
  EXPECT_EQ(sample(text, R"(once_command_duration_seconds_bucket{command_type="test.deposit",le="+Inf"})"), 2);
}

// The series of each command type are looked up once and then shared: threads
// reporting at once, about types seen for the first time, lose no count.
TEST_F(PrometheusMetrics, CountsEveryReportFromManyThreadsAtOnce) {
  constexpr int threads = 8;
  constexpr int reports = 2000;
  std::vector<std::thread> reporters;
  for (int t = 0; t < threads; ++t) {
    reporters.emplace_back([&, t] {
      auto const type = t % 2 == 0 ? "test.even" : "test.odd";
      for (int i = 0; i < reports; ++i) {
        metrics.command_handled(type, once::domain::repeat_policy::return_prior,
                                i % 2 == 0 ? once::domain::outcome_kind::applied : once::domain::outcome_kind::replayed,
                                1ms);
        metrics.transaction_retried(type);
      }
    });
  }
  for (auto& reporter : reporters) reporter.join();
  auto const text = metrics.text();
  for (std::string const type : {"test.even", "test.odd"}) {
    auto const per_type = threads / 2 * reports;
    EXPECT_EQ(sample(text, "once_commands_total{command_type=\"" + type + "\",outcome=\"applied\"}"), per_type / 2);
    EXPECT_EQ(sample(text, "once_replays_total{command_type=\"" + type + "\"}"), per_type / 2);
    EXPECT_EQ(sample(text, "once_transaction_retries_total{command_type=\"" + type + "\"}"), per_type);
    EXPECT_EQ(sample(text, "once_command_duration_seconds_count{command_type=\"" + type + "\"}"), per_type);
  }
}

TEST_F(PrometheusMetrics, CountsReplaysDuplicatesByPolicyAndConflicts) {
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k-1")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k-1")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("k-1")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 7}, envelope_with("k-1")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(close_ledger{"L-1", "done"}, envelope_with("k-c")).has_value());
  ASSERT_TRUE(dispatcher.dispatch(close_ledger{"L-1", "done"}, envelope_with("k-c")).has_value());
  auto const text = metrics.text();
  EXPECT_EQ(sample(text, R"(once_replays_total{command_type="test.deposit"})"), 2);
  EXPECT_EQ(sample(text, R"(once_command_duplicates_total{command_type="test.deposit",policy="return_prior"})"), 2);
  EXPECT_EQ(sample(text, R"(once_command_duplicates_total{command_type="test.close_ledger",policy="reject_conflict"})"),
            1);
  EXPECT_EQ(sample(text, R"(once_intent_conflicts_total{command_type="test.deposit"})"), 1);
  EXPECT_EQ(sample(text, R"(once_commands_total{command_type="test.close_ledger",outcome="duplicate_rejected"})"), 1);
}

TEST_F(PrometheusMetrics, CountsInFlightWaitsRetriesDecisionsMadeAgainAndFailures) {
  metrics.in_flight_waited("test.deposit");
  metrics.decided_again("test.deposit");
  metrics.transaction_retried("test.deposit");
  metrics.transaction_retried("test.deposit");
  metrics.command_failed("test.deposit", once::application::error_code::unavailable);
  auto const text = metrics.text();
  EXPECT_EQ(sample(text, R"(once_in_flight_waits_total{command_type="test.deposit"})"), 1);
  EXPECT_EQ(sample(text, R"(once_transaction_retries_total{command_type="test.deposit"})"), 2);
  EXPECT_EQ(sample(text, R"(once_commands_decided_again_total{command_type="test.deposit"})"), 1);
  EXPECT_EQ(sample(text, R"(once_command_failures_total{code="unavailable",command_type="test.deposit"})"), 1);
}

TEST_F(PrometheusMetrics, LabelsNeverCarryTheTenantOrTheKey) {
  ASSERT_TRUE(dispatcher.dispatch(deposit{"L-1", "D-1", 100}, envelope_with("secret-key")).has_value());
  auto const text = metrics.text();
  EXPECT_EQ(text.find("tenant-a"), std::string::npos);
  EXPECT_EQ(text.find("secret-key"), std::string::npos);
}

TEST_F(PrometheusMetrics, SharesItsRegistryWithTheServicesOwnMetrics) {
  auto& family = ::prometheus::BuildCounter().Name("service_things_total").Help("things").Register(metrics.registry());
  family.Add({}).Increment(3);
  EXPECT_EQ(sample(metrics.text(), "service_things_total"), 3);
}

}  // namespace
}  // namespace once_tests
