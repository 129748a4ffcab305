// Purging expired intent records while writers keep going.
#include <once/postgres/retention.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <once/application/clock.hpp>
#include <once/application/command_dispatcher.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/pg_schema.hpp>
#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::testing::pg_schema;
using namespace std::chrono_literals;

once::domain::envelope tenant_env(std::string key) {
  once::domain::envelope env;
  env.tenant = "tenant-retention";
  env.client_key = std::move(key);
  return env;
}

class Purging : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = once::postgres::pg_command_store::open(schema.options(8));
    ASSERT_TRUE(opened.has_value());
    store = std::move(*opened);
    // Withdrawals live 24 hours: these were sent two days ago.
    once::application::manual_clock two_days_ago{std::chrono::system_clock::now() - 48h};
    once::application::command_dispatcher<ledger> past{*store, {&two_days_ago}};
    ASSERT_TRUE(past.dispatch(deposit{"L-1", "D-0", 1'000'000}, tenant_env("seed")).has_value());
    for (int i = 0; i < expired; ++i) {
      auto const answer = past.dispatch(withdraw{"L-1", 1}, tenant_env("old-" + std::to_string(i)));
      ASSERT_TRUE(answer.has_value() && answer->kind() == once::domain::outcome_kind::applied);
    }
  }

  std::int64_t expired_left() {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE expires_at <= now()");
  }

  static constexpr int expired = 600;
  pg_schema schema;
  std::unique_ptr<once::postgres::pg_command_store> store;
};

TEST_F(Purging, DeletesEveryExpiredRecordInBoundedBatchesAndReportsProgress) {
  std::vector<int> batch_sizes;
  auto const report = once::postgres::purge_expired_intents(
      schema.options(), {.batch_size = 100}, [&](int, int deleted, std::int64_t) { batch_sizes.push_back(deleted); });
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->deleted, expired);
  EXPECT_EQ(report->batches, 7);  // six full batches, then an empty one that ends the run
  for (int size : batch_sizes) EXPECT_LE(size, 100);
  EXPECT_EQ(expired_left(), 0);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents"), 1) << "the seed deposit never expires";
}

TEST_F(Purging, StopsAfterTheMaximumNumberOfBatches) {
  auto const report = once::postgres::purge_expired_intents(schema.options(), {.batch_size = 50, .max_batches = 2});
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->deleted, 100);
  EXPECT_EQ(expired_left(), expired - 100);
}

TEST_F(Purging, RunsBesideWritersAndOtherPurgersWithoutTouchingLiveRecords) {
  once::application::command_dispatcher<ledger> live{*store};
  std::atomic<bool> writing{true};
  std::atomic<int> written{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; writing || i < 20; ++i) {
        auto const id = "live-" + std::to_string(w) + "-" + std::to_string(i);
        auto const answer = live.dispatch(deposit{"L-" + std::to_string(w + 2), id, 1}, tenant_env(id));
        if (answer.has_value()) ++written;
      }
    });
  }
  std::atomic<std::int64_t> purged{0};
  std::vector<std::thread> purgers;
  for (int p = 0; p < 3; ++p) {
    purgers.emplace_back([&] {
      auto const report = once::postgres::purge_expired_intents(schema.options(), {.batch_size = 25});
      ASSERT_TRUE(report.has_value()) << report.error().message;
      purged += report->deleted;
    });
  }
  for (auto& purger : purgers) purger.join();
  writing = false;
  for (auto& writer : writers) writer.join();

  EXPECT_EQ(purged.load(), expired) << "three purgers together deleted each expired record once";
  EXPECT_EQ(expired_left(), 0);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE key LIKE 'live-%'"), written.load());
  // A live intent still replays.
  auto const replay = live.dispatch(deposit{"L-2", "live-0-0", 1}, tenant_env("live-0-0"));
  ASSERT_TRUE(replay.has_value());
  EXPECT_EQ(replay->kind(), once::domain::outcome_kind::replayed);
}

// Outbox rows: published long enough ago are deleted; recently published and unpublished ones stay.
TEST(PurgingTheOutbox, DeletesOnlyRowsPublishedLongerAgoThanKept) {
  pg_schema schema;
  auto const insert = [&](std::string const& id, std::string const& published_at) {
    (void)schema.scalar(
        "WITH added AS (INSERT INTO ${schema}.once_outbox (message_id, tenant, aggregate_type, "
        "aggregate_id, aggregate_version, event_type, topic, message_key, payload, published_at) "
        "VALUES ('" +
        id + "', 't', 'a', 'A-1', 1, 'e', 't', 'A-1', '{}', " + published_at +
        ") RETURNING 1) SELECT count(*) FROM added");
  };
  for (int i = 0; i < 5; ++i) insert("old-" + std::to_string(i), "now() - interval '10 days'");
  insert("recent", "now() - interval '1 hour'");
  insert("unpublished", "NULL");
  auto const report =
      once::postgres::purge_published_outbox(schema.options(), {.batch_size = 2}, std::chrono::hours{168});
  ASSERT_TRUE(report.has_value()) << report.error().message;
  EXPECT_EQ(report->deleted, 5);
  EXPECT_EQ(report->batches, 3);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE message_id IN ('recent', 'unpublished')"),
            2);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox"), 2);
}

}  // namespace
}  // namespace once_tests
