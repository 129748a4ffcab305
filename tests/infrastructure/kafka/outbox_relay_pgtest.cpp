// The outbox relay between a real PostgreSQL and librdkafka's mock cluster
// (the real protocol): every row reaches its topic once acknowledged, in its
// aggregate's order, with the contract's key and headers; a row committed
// late is not skipped; brokers away mean nothing marked and nothing lost.
#include <once/kafka/outbox_relay.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/connection>
#include <pqxx/transaction>

#include <once/application/command_dispatcher.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/postgres/pg_outbox.hpp>
#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/http_client.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/service_process.hpp>

#include "support/kafka_cluster.hpp"
#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::testing::pg_schema;
constexpr char const* topic = "test.ledger";  // the ledger's events: its type_name

// A schema with `ledgers` ledgers of `deposits` deposits each, all in the outbox.
struct written_outbox {
  pg_schema schema;
  std::unique_ptr<once::postgres::pg_command_store> store;

  written_outbox(int ledgers, int deposits) {
    auto opened = once::postgres::pg_command_store::open(schema.options(4));
    if (!opened) throw std::runtime_error(opened.error().message);
    store = std::move(*opened);
    once::application::command_dispatcher<ledger> ledgers_dispatcher{*store};
    for (int d = 0; d < deposits; ++d) {
      for (int l = 0; l < ledgers; ++l) {
        once::domain::envelope env;
        env.tenant = "tenant-a";
        env.trace_parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        auto const id = "L-" + std::to_string(l);
        auto const done = ledgers_dispatcher.dispatch(deposit{id, "D-" + std::to_string(d), 1 + d}, env);
        if (!done) throw std::runtime_error(done.error().message);
      }
    }
  }

  // Every row's message id per aggregate id, in outbox order.
  std::map<std::string, std::vector<std::string>> rows_by_aggregate() const {
    pqxx::connection connection{schema.url()};
    pqxx::work read{connection};
    std::map<std::string, std::vector<std::string>> rows;
    for (auto const& row :
         read.exec("SELECT aggregate_id, message_id FROM " + schema.name() + ".once_outbox ORDER BY id")) {
      rows[row[0].c_str()].push_back(row[1].c_str());
    }
    return rows;
  }
  std::int64_t unpublished() const {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL");
  }
};

std::unique_ptr<once::postgres::pg_outbox> outbox_of(pg_schema const& schema) {
  auto opened = once::postgres::pg_outbox::open(schema.options(1));
  if (!opened) throw std::runtime_error(opened.error().message);
  return std::move(*opened);
}

once::kafka::relay_options relay_options_for(kafka_cluster const& cluster, std::string holder) {
  once::kafka::relay_options options;
  options.brokers = cluster.bootstrap_servers();
  options.holder = std::move(holder);
  options.batch_size = 64;
  options.poll_interval = std::chrono::milliseconds{50};
  options.lease_ttl = std::chrono::milliseconds{4000};
  options.delivery_timeout = std::chrono::milliseconds{2000};
  options.producer_settings = {{"log_level", "0"}};
  return options;
}

// Rounds until the outbox is empty or `rounds` rounds passed.
void drain(once::kafka::outbox_relay& relay, written_outbox const& outbox, int rounds = 200) {
  for (int i = 0; i < rounds && outbox.unpublished() > 0; ++i) (void)relay.run_round();
}

// Per key, the event ids in the order they arrived; each only the first time.
std::map<std::string, std::vector<std::string>> first_copies_by_key(std::vector<received_message> const& messages) {
  std::map<std::string, std::vector<std::string>> order;
  std::set<std::string> seen;
  for (auto const& message : messages) {
    auto const& id = message.headers.at("event-id");
    if (seen.insert(id).second) order[message.key].push_back(id);
  }
  return order;
}

TEST(OutboxRelay, PublishesEveryRowWithItsKeyAndHeadersInItsAggregatesOrderAndMarksIt) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 6);
  written_outbox written{12, 15};
  auto outbox = outbox_of(written.schema);
  auto relay = once::kafka::outbox_relay::open(*outbox, relay_options_for(cluster, "relay-a"));
  ASSERT_TRUE(relay.has_value()) << relay.error().message;
  drain(**relay, written);
  EXPECT_EQ(written.unpublished(), 0);

  auto const messages = read_topic(cluster.bootstrap_servers(), topic, 6, 12 * 15);
  ASSERT_EQ(messages.size(), 12U * 15U);
  EXPECT_EQ(first_copies_by_key(messages), written.rows_by_aggregate());
  auto const& first = messages.front();
  EXPECT_EQ(first.headers.at("event-type"), "test.deposited");
  EXPECT_EQ(first.headers.at("tenant"), "tenant-a");
  EXPECT_EQ(first.headers.at("intent-id").rfind("tenant-a:test.deposit/" + first.key + ":D-", 0), 0U)
      << first.headers.at("intent-id");
  EXPECT_EQ(first.headers.at("traceparent"), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(first.value.rfind("{\"amount\":", 0), 0U) << first.value;  // the event's canonical JSON
}

TEST(OutboxRelay, PublishesARowCommittedAfterLaterRowsInsteadOfSkippingIt) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 3);
  written_outbox written{2, 2};
  // A transaction takes an outbox id before the rows below and commits after they were published.
  pqxx::connection slow_connection{written.schema.url()};
  pqxx::work slow{slow_connection};
  slow.exec("INSERT INTO " + written.schema.name() +
            ".once_outbox (message_id, tenant, aggregate_type, aggregate_id, aggregate_version, event_type, topic, "
            "message_key, payload) VALUES ('late-1', 'tenant-a', 'test.ledger', 'L-late', 1, 'test.deposited', "
            "'test.ledger', 'L-late', '{\"ledger_id\":\"L-late\"}')");
  once::application::command_dispatcher<ledger> ledgers{*written.store};
  once::domain::envelope env;
  env.tenant = "tenant-a";
  ASSERT_TRUE(ledgers.dispatch(deposit{"L-after", "D-1", 5}, env).has_value());

  auto outbox = outbox_of(written.schema);
  auto relay = once::kafka::outbox_relay::open(*outbox, relay_options_for(cluster, "relay-a"));
  ASSERT_TRUE(relay.has_value());
  drain(**relay, written);
  EXPECT_EQ(written.unpublished(), 0);  // the late row is not visible yet
  slow.commit();
  EXPECT_EQ(written.unpublished(), 1);
  drain(**relay, written);
  EXPECT_EQ(written.unpublished(), 0);
  auto const messages = read_topic(cluster.bootstrap_servers(), topic, 3, 6);
  EXPECT_EQ(messages.size(), 6U);
  EXPECT_TRUE(std::any_of(messages.begin(), messages.end(),
                          [](received_message const& m) { return m.headers.at("event-id") == "late-1"; }));
}

TEST(OutboxRelay, MarksNothingWhileTheBrokersAreAwayAndPublishesEverythingWhenTheyReturn) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 6);
  written_outbox written{4, 5};
  auto outbox = outbox_of(written.schema);
  auto relay = once::kafka::outbox_relay::open(*outbox, relay_options_for(cluster, "relay-a"));
  ASSERT_TRUE(relay.has_value());
  cluster.take_down();
  for (int i = 0; i < 2; ++i) {
    auto const round = (*relay)->run_round();
    EXPECT_FALSE(round.has_value());
    EXPECT_EQ(written.unpublished(), 20);
  }
  cluster.bring_up();
  drain(**relay, written);
  EXPECT_EQ(written.unpublished(), 0);
  auto const messages = read_topic(cluster.bootstrap_servers(), topic, 6, 20);
  EXPECT_EQ(first_copies_by_key(messages), written.rows_by_aggregate());
}

TEST(OutboxRelay, TwoRelaysOnOneOutboxTakeTurnsUnderTheLeaseAndKeepEachAggregatesOrder) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 6);
  written_outbox written{8, 10};
  auto outbox_a = outbox_of(written.schema);
  auto outbox_b = outbox_of(written.schema);
  auto relay_a = once::kafka::outbox_relay::open(*outbox_a, relay_options_for(cluster, "relay-a"));
  auto relay_b = once::kafka::outbox_relay::open(*outbox_b, relay_options_for(cluster, "relay-b"));
  ASSERT_TRUE(relay_a.has_value());
  ASSERT_TRUE(relay_b.has_value());
  std::thread a{[&] { (*relay_a)->run(); }};
  std::thread b{[&] { (*relay_b)->run(); }};
  (void)once::testing::eventually([&] { return written.unpublished() == 0; }, std::chrono::seconds{10});
  (*relay_a)->stop();
  (*relay_b)->stop();
  a.join();
  b.join();
  EXPECT_EQ(written.unpublished(), 0);
  // One of them led; the other never published.
  EXPECT_NE((*relay_a)->counters().published.load() == 0, (*relay_b)->counters().published.load() == 0);
  auto const messages = read_topic(cluster.bootstrap_servers(), topic, 6, 80);
  EXPECT_EQ(messages.size(), 80U);
  EXPECT_EQ(first_copies_by_key(messages), written.rows_by_aggregate());
}

// once-relay as a process of its own on the written outbox.
std::unique_ptr<once::testing::child_process> start_relay(kafka_cluster const& cluster, written_outbox const& written) {
  return std::make_unique<once::testing::child_process>(
      ONCE_RELAY,
      std::vector<std::string>{"--database-url", written.schema.url(), "--schema", written.schema.name(), "--brokers",
                               cluster.bootstrap_servers(), "--batch-size", "50", "--lease-ttl-ms", "1500",
                               "--delivery-timeout-ms", "1000", "--poll-interval-ms", "50"});
}

TEST(OutboxRelay, TwoRelayProcessesOneKilledMidRunLeaveEveryRowPublishedInItsAggregatesOrder) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 6);
  written_outbox written{20, 25};
  auto first = start_relay(cluster, written);
  auto second = start_relay(cluster, written);
  // Once the leader has published some rows, it is killed where it stands.
  ASSERT_TRUE(once::testing::eventually([&] { return written.unpublished() <= 400; }, std::chrono::seconds{10}));
  auto const leader =
      written.schema.scalar("SELECT split_part(holder, ':', 2)::bigint FROM ${schema}.once_relay_lease");
  auto& killed = leader == first->pid() ? *first : *second;
  killed.kill_hard();
  (void)killed.wait_for_exit();
  // More rows while the survivor waits for the lease to expire.
  once::application::command_dispatcher<ledger> ledgers{*written.store};
  once::domain::envelope env;
  env.tenant = "tenant-a";
  for (int l = 0; l < 20; ++l) ASSERT_TRUE(ledgers.dispatch(deposit{"L-" + std::to_string(l), "D-late", 7}, env));
  EXPECT_TRUE(once::testing::eventually([&] { return written.unpublished() == 0; }, std::chrono::seconds{30}));

  auto const messages = read_topic(cluster.bootstrap_servers(), topic, 6, 100000, std::chrono::seconds{3});
  EXPECT_GE(messages.size(), 520U);  // copies of the killed relay's unmarked rows may come twice
  EXPECT_EQ(first_copies_by_key(messages), written.rows_by_aggregate());
}

TEST(OutboxRelay, OnceRelayServesItsMetrics) {
  kafka_cluster cluster;
  cluster.create_topic(topic, 6);
  written_outbox written{2, 5};
  once::testing::child_process relay{
      ONCE_RELAY,
      {"--database-url", written.schema.url(), "--schema", written.schema.name(), "--brokers",
       cluster.bootstrap_servers(), "--poll-interval-ms", "50", "--metrics-listen", "127.0.0.1:0"}};
  auto const relaying = once::testing::await_log_event(relay, "relaying", std::chrono::seconds{10});
  ASSERT_TRUE(relaying.has_value());
  ASSERT_TRUE(once::testing::eventually([&] { return written.unpublished() == 0; }, std::chrono::seconds{10}));
  auto const address = relaying->value("metrics_address", "");
  auto const port = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
  auto const metrics = once::testing::http_client{port}.send("GET", "/metrics").body;
  EXPECT_NE(metrics.find("once_outbox_published_total 10"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("once_outbox_backlog_rows 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("once_outbox_relay_leader 1"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace once_tests
