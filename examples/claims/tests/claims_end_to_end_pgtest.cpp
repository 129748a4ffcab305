// claims-service, fraud-screening and librdkafka's mock cluster as processes,
// on a real PostgreSQL, over real sockets and the real Kafka protocol: claims
// submitted twice, both processes killed with SIGKILL in turn and restarted,
// and still one ClaimSubmitted and one ClaimScreened per claim on
// claims.events, ClaimSubmitted first in its partition.
#include <signal.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/kafka_topic.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace claims_tests {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;
using nlohmann::json;
using namespace std::chrono_literals;

// once-kafka-mock with the contract's topics, and its bootstrap servers.
struct mock_kafka {
  once::testing::child_process process{ONCE_KAFKA_MOCK,
                                       {"--topic", "claims.events:6", "--topic", "claims.events.dlq:6"}};
  std::string brokers;

  mock_kafka() {
    for (int i = 0; i < 200 && brokers.empty(); ++i) {
      for (auto const& line : process.output_lines()) {
        auto const parsed = json::parse(line, nullptr, false);
        if (!parsed.is_discarded() && parsed.value("event", "") == "listening") brokers = parsed["bootstrap_servers"];
      }
      if (brokers.empty()) std::this_thread::sleep_for(25ms);  // polling the mock's first line
    }
    if (brokers.empty()) throw std::runtime_error("once-kafka-mock did not start");
  }
};

std::vector<std::string> screening_arguments(once::testing::pg_schema const& schema, std::string const& brokers) {
  return {"--database-url", schema.url(), "--schema", schema.name(), "--brokers", brokers};
}

TEST(ClaimsOverKafka, EachClaimGetsOneSubmittedAndOneScreenedEventWhateverIsRetriedOrKilled) {
  mock_kafka kafka;
  once::testing::pg_schema schema;
  once::testing::service_process service{
      CLAIMS_SERVICE,
      {"--store", "postgres", "--database-url", schema.url(), "--schema", schema.name(), "--auth-token",
       "secret:tenant-a", "--brokers", kafka.brokers}};
  auto screening =
      std::make_unique<once::testing::child_process>(FRAUD_SCREENING, screening_arguments(schema, kafka.brokers));
  headers const writes{{"authorization", "Bearer secret"}, {"content-type", "application/json"}};
  auto const submit = [&](std::string const& submission, std::string const& claimant, int amount) {
    json const body{{"submission_id", submission},
                    {"claimant_id", claimant},
                    {"policy_id", "POL-1"},
                    {"amount", {{"value", amount}, {"currency", "EUR"}}},
                    {"description", "storm damage"}};
    auto const answer = once::testing::send_until_answered(service.port(), "POST", "/v1/claims", body.dump(), writes);
    if (!answer || answer->status != 201) throw std::runtime_error("the claim was not submitted");
    return json::parse(answer->body).at("claim_id").get<std::string>();
  };

  auto const small = submit("S-1", "P-7", 5000);
  EXPECT_EQ(submit("S-1", "P-7", 5000), small);  // the client's retry: the same claim
  service.kill_hard();
  service.restart();
  auto const large = submit("S-1", "P-8", 2'000'000);  // another claimant's S-1: another claim
  EXPECT_NE(large, small);
  screening->kill_hard();
  (void)screening->wait_for_exit();
  EXPECT_EQ(submit("S-1", "P-8", 2'000'000), large);
  screening =
      std::make_unique<once::testing::child_process>(FRAUD_SCREENING, screening_arguments(schema, kafka.brokers));

  auto const status_of = [&](std::string const& claim_id) {
    auto const answer = once::testing::send_until_answered(service.port(), "GET", "/v1/claims/" + claim_id, "",
                                                           {{"authorization", "Bearer secret"}});
    return answer ? json::parse(answer->body) : json{};
  };
  for (int i = 0; i < 300; ++i) {
    if (status_of(small).value("status", "") == "screened" && status_of(large).value("status", "") == "screened") break;
    std::this_thread::sleep_for(100ms);  // the consumer joins its group and screens
  }
  EXPECT_EQ(status_of(small).at("screening"), (json{{"result", "clear"}}));
  EXPECT_EQ(status_of(large).at("screening"), (json{{"result", "flagged"}}));

  for (int i = 0; i < 100 && schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL") > 0;
       ++i) {
    std::this_thread::sleep_for(100ms);  // the relay publishes the ClaimScreened events
  }
  auto const messages = once::testing::read_topic(kafka.brokers, "claims.events", 6, 1000, 3s);
  std::map<std::string, std::map<std::string, std::set<std::string>>> ids_by_claim_and_type;
  std::map<std::string, std::vector<std::string>> types_in_order;
  for (auto const& message : messages) {
    auto const type = message.headers.at("event-type");
    auto const fresh = ids_by_claim_and_type[message.key][type].insert(message.headers.at("event-id")).second;
    if (fresh) types_in_order[message.key].push_back(type);
    EXPECT_EQ(json::parse(message.value).at("claim_id"), message.key);
  }
  for (auto const& claim_id : {small, large}) {
    EXPECT_EQ(ids_by_claim_and_type[claim_id]["ClaimSubmitted"].size(), 1U) << claim_id;
    EXPECT_EQ(ids_by_claim_and_type[claim_id]["ClaimScreened"].size(), 1U) << claim_id;
    EXPECT_EQ(types_in_order[claim_id], (std::vector<std::string>{"ClaimSubmitted", "ClaimScreened"})) << claim_id;
  }
}

TEST(ClaimsOverKafka, ServesHttpWhileTheBrokersAreDownAndPublishesWhenTheyReturn) {
  mock_kafka kafka;
  once::testing::pg_schema schema;
  once::testing::service_process service{
      CLAIMS_SERVICE,
      {"--store", "postgres", "--database-url", schema.url(), "--schema", schema.name(), "--auth-token",
       "secret:tenant-a", "--brokers", kafka.brokers}};
  auto const submit = [&](std::string const& submission) {
    json const body{{"submission_id", submission},
                    {"claimant_id", "P-1"},
                    {"policy_id", "POL-1"},
                    {"amount", {{"value", 700}, {"currency", "EUR"}}},
                    {"description", "a scratch"}};
    auto const answer =
        once::testing::send_until_answered(service.port(), "POST", "/v1/claims", body.dump(),
                                           {{"authorization", "Bearer secret"}, {"content-type", "application/json"}});
    return answer ? answer->status : 0;
  };
  auto const unpublished = [&] {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL");
  };
  auto const wait_until_published = [&] {
    for (int i = 0; i < 300 && unpublished() > 0; ++i) std::this_thread::sleep_for(100ms);
  };
  // The relay is running: a first claim goes out.
  ASSERT_EQ(submit("S-1"), 201);
  wait_until_published();
  ASSERT_EQ(unpublished(), 0);

  kill(kafka.process.pid(), SIGUSR1);  // every broker down
  EXPECT_EQ(submit("S-2"), 201);
  std::this_thread::sleep_for(3s);  // a running relay would have published it by now
  EXPECT_EQ(unpublished(), 1);
  kill(kafka.process.pid(), SIGUSR2);  // back
  wait_until_published();
  EXPECT_EQ(unpublished(), 0);
  auto const messages = once::testing::read_topic(kafka.brokers, "claims.events", 6, 2, 10s);
  EXPECT_EQ(messages.size(), 2U);
}

}  // namespace
}  // namespace claims_tests
