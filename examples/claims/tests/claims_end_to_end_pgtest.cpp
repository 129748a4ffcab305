// claims-service, fraud-screening and librdkafka's mock cluster as processes,
// on a real PostgreSQL, over real sockets and the real Kafka protocol: claims
// submitted twice, both processes killed with SIGKILL in turn and restarted,
// and still one ClaimSubmitted and one ClaimScreened per claim on
// claims.events, ClaimSubmitted first in its partition.
#include <signal.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/kafka_topic.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace claims_tests {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// once-kafka-mock with the contract's topics, a scratch schema and
// claims-service with its relay on them; what both tests drive.
class ClaimsOverKafka : public ::testing::Test {
 protected:
  ClaimsOverKafka() {
    auto const listening = once::testing::await_log_event(kafka_, "listening", 10s);
    if (!listening) throw std::runtime_error("once-kafka-mock did not start");
    brokers = listening->at("bootstrap_servers").get<std::string>();
    service = std::make_unique<once::testing::service_process>(
        CLAIMS_SERVICE,
        std::vector<std::string>{"--store", "postgres", "--database-url", schema.url(), "--schema", schema.name(),
                                 "--auth-token", "secret:tenant-a", "--brokers", brokers});
  }

  // The answer to submitting a claim, retried as a good client retries; nullopt when none came.
  std::optional<once::testing::http_answer> submit(std::string const& submission, std::string const& claimant,
                                                   int amount) {
    json const body{{"submission_id", submission},
                    {"claimant_id", claimant},
                    {"policy_id", "POL-1"},
                    {"amount", {{"value", amount}, {"currency", "EUR"}}},
                    {"description", "storm damage"}};
    return once::testing::send_until_answered(
        service->port(), "POST", "/v1/claims", body.dump(),
        {{"authorization", "Bearer secret"}, {"content-type", "application/json"}});
  }
  std::string submitted_claim(std::string const& submission, std::string const& claimant, int amount) {
    auto const answer = submit(submission, claimant, amount);
    if (!answer || answer->status != 201) throw std::runtime_error("the claim was not submitted");
    return json::parse(answer->body).at("claim_id").get<std::string>();
  }
  json claim(std::string const& claim_id) {
    auto const answer = once::testing::send_until_answered(service->port(), "GET", "/v1/claims/" + claim_id, "",
                                                           {{"authorization", "Bearer secret"}});
    return answer ? json::parse(answer->body) : json{};
  }
  std::int64_t unpublished() const {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL");
  }
  bool all_published(std::chrono::milliseconds within) const {
    return once::testing::eventually([this] { return unpublished() == 0; }, within);
  }
  std::unique_ptr<once::testing::child_process> start_screening() const {
    return std::make_unique<once::testing::child_process>(
        FRAUD_SCREENING,
        std::vector<std::string>{"--database-url", schema.url(), "--schema", schema.name(), "--brokers", brokers});
  }
  // Takes every broker down (SIGUSR1) or brings them back (SIGUSR2), and waits until the mock says it has.
  void signal_kafka(int signal, std::string const& done) {
    kill(kafka_.pid(), signal);
    if (!once::testing::await_log_event(kafka_, done, 10s)) throw std::runtime_error("once-kafka-mock did not " + done);
  }

 private:
  once::testing::child_process kafka_{ONCE_KAFKA_MOCK,
                                      {"--topic", "claims.events:6", "--topic", "claims.events.dlq:6"}};

 protected:
  std::string brokers;
  once::testing::pg_schema schema;
  std::unique_ptr<once::testing::service_process> service;
};

TEST_F(ClaimsOverKafka, EachClaimGetsOneSubmittedAndOneScreenedEventWhateverIsRetriedOrKilled) {
  auto screening = start_screening();
  auto const small = submitted_claim("S-1", "P-7", 5000);
  EXPECT_EQ(submitted_claim("S-1", "P-7", 5000), small);  // the client's retry: the same claim
  service->kill_hard();
  service->restart();
  auto const large = submitted_claim("S-1", "P-8", 2'000'000);  // another claimant's S-1: another claim
  EXPECT_NE(large, small);
  screening->kill_hard();
  (void)screening->wait_for_exit();
  EXPECT_EQ(submitted_claim("S-1", "P-8", 2'000'000), large);
  screening = start_screening();

  // The consumer joins its group and screens both.
  EXPECT_TRUE(once::testing::eventually(
      [&] { return claim(small).value("status", "") == "screened" && claim(large).value("status", "") == "screened"; },
      30s, 100ms));
  EXPECT_EQ(claim(small).at("screening"), (json{{"result", "clear"}}));
  EXPECT_EQ(claim(large).at("screening"), (json{{"result", "flagged"}}));

  EXPECT_TRUE(all_published(10s));  // the ClaimScreened events too
  auto const messages = once::testing::read_topic(brokers, "claims.events", 6, 1000, 3s);
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

TEST_F(ClaimsOverKafka, ServesHttpWhileTheBrokersAreDownAndPublishesWhenTheyReturn) {
  // The relay is running: a first claim goes out.
  ASSERT_EQ(submit("S-1", "P-1", 700)->status, 201);
  ASSERT_TRUE(all_published(30s));

  signal_kafka(SIGUSR1, "brokers_down");
  EXPECT_EQ(submit("S-2", "P-1", 700)->status, 201);
  EXPECT_FALSE(all_published(3s));  // a running relay would have published it by now
  EXPECT_EQ(unpublished(), 1);
  signal_kafka(SIGUSR2, "brokers_up");
  EXPECT_TRUE(all_published(30s));
  auto const messages = once::testing::read_topic(brokers, "claims.events", 6, 2, 10s);
  EXPECT_EQ(messages.size(), 2U);
}

}  // namespace
}  // namespace claims_tests
