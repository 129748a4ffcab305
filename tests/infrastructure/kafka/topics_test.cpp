// ensure_topic against the mock cluster.
#include <once/kafka/topics.hpp>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "support/kafka_cluster.hpp"

namespace once_tests {
namespace {

// librdkafka 2.0's mock brokers do not create topics through the admin API
// (the admin client waits for a controller they never name), so what is
// proven here is that ensure_topic then says why, within its bound, and that
// a service starting against such brokers is told rather than stuck; topics
// on the mock cluster are made with rd_kafka_mock_topic_create (kafka_cluster).
TEST(EnsureTopic, ReportsWhyWithinItsBoundWhenTheBrokersCannotCreateTheTopic) {
  kafka_cluster cluster;
  auto const started = std::chrono::steady_clock::now();
  auto const made = once::kafka::ensure_topic(cluster.bootstrap_servers(), "claims.events", 6, std::chrono::seconds{1});
  auto const waited = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(made.has_value());
  EXPECT_EQ(made.error().code, once::application::error_code::unavailable);
  EXPECT_NE(made.error().message.find("claims.events"), std::string::npos) << made.error().message;
  EXPECT_LT(waited, std::chrono::seconds{5});
}

}  // namespace
}  // namespace once_tests
