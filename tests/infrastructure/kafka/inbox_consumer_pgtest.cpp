// The inbox consumer between librdkafka's mock cluster (the real protocol)
// and a real PostgreSQL: a message's command takes effect once whatever is
// delivered twice, re-read by a new group or redelivered after a consumer
// died between its transaction and its offset commit; what cannot be handled
// goes to the dead-letter topic and the exceptions table, and its partition
// moves on.
#include <once/kafka/inbox_consumer.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/json_decode.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/pg_schema.hpp>

#include "support/kafka_cluster.hpp"
#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::kafka::handling;
using once::testing::pg_schema;
constexpr char const* requests = "test.deposit_requests";

// Produces one message with the contract's headers, waiting for its acknowledgement.
void send(kafka_cluster const& cluster, std::string const& event_id, std::string const& value,
          std::string const& key = "L-1", std::string const& tenant = "tenant-a") {
  std::string problem;
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  (void)conf->set("bootstrap.servers", cluster.bootstrap_servers(), problem);
  (void)conf->set("log_level", "0", problem);
  std::unique_ptr<RdKafka::Producer> producer{RdKafka::Producer::create(conf.get(), problem)};
  auto* headers = RdKafka::Headers::create();
  headers->add("event-id", event_id);
  headers->add("event-type", "test.deposit_requested");
  headers->add("tenant", tenant);
  // One partition for the test topic, so "later messages of the same partition" is every later message.
  (void)producer->produce(requests, 0, RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()), value.size(),
                          key.data(), key.size(), 0, headers, nullptr);
  (void)producer->flush(10000);
}

std::string deposit_json(std::string const& deposit_id, int amount) {
  return R"({"ledger_id":"L-1","deposit_id":")" + deposit_id + R"(","amount":)" + std::to_string(amount) + "}";
}

struct consuming_ledgers {
  kafka_cluster cluster;
  pg_schema schema;
  std::unique_ptr<once::postgres::pg_command_store> store;
  std::unique_ptr<once::application::command_dispatcher<ledger>> ledgers;

  consuming_ledgers() {
    cluster.create_topic(requests, 1);
    cluster.create_topic(std::string{requests} + ".dlq", 1);
    auto opened = once::postgres::pg_command_store::open(schema.options(2));
    if (!opened) throw std::runtime_error(opened.error().message);
    store = std::move(*opened);
    ledgers = std::make_unique<once::application::command_dispatcher<ledger>>(*store);
  }

  // A consumer of `group` whose handler decodes a deposit and dispatches it; `after_dispatch` runs then.
  std::unique_ptr<once::kafka::inbox_consumer> consumer(std::string const& group,
                                                        std::function<void()> after_dispatch = {}) {
    once::kafka::inbox_options options;
    options.brokers = cluster.bootstrap_servers();
    options.group = group;
    options.topics = {requests};
    options.consumer_settings = {{"log_level", "0"}};
    auto opened = once::kafka::inbox_consumer::open(*store, options);
    if (!opened) throw std::runtime_error(opened.error().message);
    auto* dispatcher = ledgers.get();
    (*opened)->on("test.deposit_requested",
                  [dispatcher, group, after_dispatch](once::kafka::inbox_message const& message) {
                    auto const command = once::domain::decode_json<deposit>(message.value);
                    if (!command) return handling::undecodable("the value is not a deposit: " + command.error().field);
                    auto const outcome = dispatcher->dispatch(*command, message.envelope_for(group));
                    if (after_dispatch) after_dispatch();
                    if (!outcome) return handling::retry(std::string{to_string(outcome.error().code)});
                    return handling::handled(outcome->kind() != once::domain::outcome_kind::replayed);
                  });
    return std::move(*opened);
  }

  std::int64_t balance() const {
    return schema.scalar("SELECT coalesce((SELECT (state->>'balance')::bigint FROM ${schema}.once_aggregates), 0)");
  }
  std::int64_t deposits() const {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE command_type = 'test.deposit'");
  }
};

// Polls until `done` or about ten seconds passed.
template <class Done>
void poll_until(once::kafka::inbox_consumer& consumer, Done const& done) {
  for (int i = 0; i < 50 && !done(); ++i) consumer.poll(std::chrono::milliseconds{200});
}

TEST(InboxConsumer, HandlesAMessageDeliveredTwiceOnceAndCountsTheCopy) {
  consuming_ledgers world;
  send(world.cluster, "evt-1", deposit_json("D-1", 40));
  send(world.cluster, "evt-1", deposit_json("D-1", 40));  // the same message again, as a relay after a crash sends it
  send(world.cluster, "evt-2", deposit_json("D-2", 2));
  auto consumer = world.consumer("ledger-keeper");
  poll_until(*consumer, [&] { return consumer->counters().handled + consumer->counters().duplicates == 3; });
  EXPECT_EQ(consumer->counters().handled.load(), 2);
  EXPECT_EQ(consumer->counters().duplicates.load(), 1);
  EXPECT_EQ(world.balance(), 42);
  EXPECT_EQ(world.schema.scalar("SELECT count(*) FROM ${schema}.once_inbox WHERE consumer = 'ledger-keeper'"), 2);
}

// The tenant header names whose intent a message is: the same business key in
// two tenants is two intents on two aggregates, and neither replays the other.
TEST(InboxConsumer, KeepsTenantsApartByTheMessagesTenantHeader) {
  consuming_ledgers world;
  send(world.cluster, "evt-a", deposit_json("D-1", 40), "L-1", "tenant-a");
  send(world.cluster, "evt-b", deposit_json("D-1", 2), "L-1", "tenant-b");
  auto consumer = world.consumer("ledger-keeper");
  poll_until(*consumer, [&] { return consumer->counters().handled + consumer->counters().duplicates == 2; });
  EXPECT_EQ(consumer->counters().handled.load(), 2);
  EXPECT_EQ(consumer->counters().duplicates.load(), 0);
  auto const balance_of = [&](std::string const& tenant) {
    return world.schema.scalar("SELECT (state->>'balance')::bigint FROM ${schema}.once_aggregates WHERE tenant = '" +
                               tenant + "'");
  };
  EXPECT_EQ(balance_of("tenant-a"), 40);
  EXPECT_EQ(balance_of("tenant-b"), 2) << "tenant-b's deposit D-1 is its own, not a replay of tenant-a's";
  EXPECT_EQ(world.schema.scalar("SELECT count(DISTINCT tenant) FROM ${schema}.once_intents"), 2);
}

TEST(InboxConsumer, ReadingTheWholeTopicAgainWithANewGroupHasNoNewEffects) {
  consuming_ledgers world;
  for (int i = 0; i < 5; ++i)
    send(world.cluster, "evt-" + std::to_string(i), deposit_json("D-" + std::to_string(i), 10));
  auto first = world.consumer("first-group");
  poll_until(*first, [&] { return first->counters().handled == 5; });
  first->close();
  ASSERT_EQ(world.balance(), 50);
  auto second = world.consumer("second-group");
  poll_until(*second, [&] { return second->counters().handled == 5; });
  EXPECT_EQ(second->counters().handled.load(), 5);  // replays: handled, no new effects
  EXPECT_EQ(world.balance(), 50);
  EXPECT_EQ(world.deposits(), 5);
}

TEST(InboxConsumer, AConsumerStoppedAfterItsTransactionButBeforeItsOffsetCommitLeavesACopyThatIsSkipped) {
  consuming_ledgers world;
  send(world.cluster, "evt-1", deposit_json("D-1", 40));
  once::kafka::inbox_consumer* dying = nullptr;
  auto first = world.consumer("ledger-keeper", [&] { dying->stop(); });  // dies right after the commit
  dying = first.get();
  poll_until(*first, [&] { return world.deposits() == 1; });
  first->close();
  ASSERT_EQ(world.balance(), 40);
  auto second = world.consumer("ledger-keeper");
  poll_until(*second, [&] { return second->counters().duplicates == 1; });
  EXPECT_EQ(second->counters().duplicates.load(), 1);
  EXPECT_EQ(second->counters().handled.load(), 0);
  EXPECT_EQ(world.balance(), 40);
}

// A commit the brokers refuse for a reason other than their coordinator
// being away is given up on at once and the partition moves on: the message
// loses nothing (its receipt is committed). Retrying it instead, without
// polling, held the partition for ever when the refusal was the group's
// having moved on, which only polling can mend.
TEST(InboxConsumer, AnOffsetCommitTheBrokersRefuseIsGivenUpAndTheNextMessagesAreHandled) {
  consuming_ledgers world;
  send(world.cluster, "evt-1", deposit_json("D-1", 1));
  auto consumer = world.consumer("ledger-keeper");
  world.cluster.answer_next_requests(kafka_cluster::offset_commit_requests, 20,
                                     RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  std::thread running{[&] { consumer->run(); }};
  send(world.cluster, "evt-2", deposit_json("D-2", 2));
  send(world.cluster, "evt-3", deposit_json("D-3", 4));
  bool const all_handled = once::testing::eventually([&] { return consumer->counters().handled == 3; },
                                                     std::chrono::seconds{20}, std::chrono::milliseconds{50});
  consumer->stop();
  running.join();
  EXPECT_TRUE(all_handled);
  EXPECT_GE(consumer->counters().uncommitted.load(), 1);
  EXPECT_EQ(world.balance(), 7);
  EXPECT_EQ(world.deposits(), 3);
}

TEST(InboxConsumer, AnUndecodableMessageGoesToTheDeadLetterTopicAndTheExceptionsAndThePartitionMovesOn) {
  consuming_ledgers world;
  send(world.cluster, "evt-bad", "this is not JSON");
  send(world.cluster, "evt-2", deposit_json("D-2", 7));
  auto consumer = world.consumer("ledger-keeper");
  poll_until(*consumer, [&] { return consumer->counters().handled == 1; });
  EXPECT_EQ(consumer->counters().dead_lettered.load(), 1);
  EXPECT_EQ(world.balance(), 7);
  EXPECT_EQ(world.schema.scalar("SELECT count(*) FROM ${schema}.once_inbox_exceptions WHERE message_id = 'evt-bad' "
                                "AND topic = 'test.deposit_requests' AND \"offset\" = 0"),
            1);
  auto const letters = read_topic(world.cluster.bootstrap_servers(), std::string{requests} + ".dlq", 1, 1);
  ASSERT_EQ(letters.size(), 1U);
  EXPECT_EQ(letters[0].value, "this is not JSON");
  EXPECT_EQ(letters[0].headers.at("event-id"), "evt-bad");
  EXPECT_FALSE(letters[0].headers.at("error").empty());
}

TEST(InboxConsumer, AMessageFailingMaxAttemptsTimesIsDeadLetteredWhileAnOutageIsWaitedOut) {
  consuming_ledgers world;
  send(world.cluster, "evt-broken", deposit_json("D-1", 1));
  send(world.cluster, "evt-later", deposit_json("D-2", 1));
  once::kafka::inbox_options options;
  options.brokers = world.cluster.bootstrap_servers();
  options.group = "ledger-keeper";
  options.topics = {requests};
  options.max_attempts = 3;
  options.consumer_settings = {{"log_level", "0"}};
  auto consumer = once::kafka::inbox_consumer::open(*world.store, options);
  ASSERT_TRUE(consumer.has_value());
  int broken_attempts = 0;
  int outage_answers = 0;
  (*consumer)->on("test.deposit_requested", [&](once::kafka::inbox_message const& message) {
    if (message.header("event-id") == "evt-broken") {
      ++broken_attempts;
      return handling::failed("a bug in the handler");
    }
    if (++outage_answers < 5) return handling::retry("unavailable");  // the store is away four times
    return handling::handled();
  });
  poll_until(**consumer, [&] { return (*consumer)->counters().handled == 1; });
  EXPECT_EQ(broken_attempts, 3);
  EXPECT_EQ(outage_answers, 5);
  EXPECT_EQ((*consumer)->counters().dead_lettered.load(), 1);
  EXPECT_EQ(world.schema.scalar("SELECT attempts FROM ${schema}.once_inbox_exceptions WHERE message_id = 'evt-broken'"),
            3);
  EXPECT_EQ(world.schema.scalar("SELECT count(*) FROM ${schema}.once_inbox_exceptions"), 1);
}

}  // namespace
}  // namespace once_tests
