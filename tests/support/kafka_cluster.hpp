// librdkafka's mock cluster (rdkafka_mock.h) in the test process: real
// brokers speaking the Kafka protocol on loopback ports, for real producers
// and consumers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <once/testing/kafka_topic.hpp>

namespace once_tests {

using once::testing::read_topic;
using once::testing::received_message;

class kafka_cluster {
 public:
  explicit kafka_cluster(int brokers = 3) : brokers_(brokers) {
    char problem[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    (void)rd_kafka_conf_set(conf, "log_level", "0", problem, sizeof problem);
    // The mock brokers' sockets take this handle's settings; without it each answer waits for delayed ACKs.
    (void)rd_kafka_conf_set(conf, "socket.nagle.disable", "true", problem, sizeof problem);
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, problem, sizeof problem);
    if (handle_ == nullptr) throw std::runtime_error(std::string{"rd_kafka_new: "} + problem);
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    if (cluster_ == nullptr) throw std::runtime_error("rd_kafka_mock_cluster_new failed");
  }
  kafka_cluster(kafka_cluster const&) = delete;
  kafka_cluster& operator=(kafka_cluster const&) = delete;
  ~kafka_cluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }

  [[nodiscard]] std::string bootstrap_servers() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  void create_topic(std::string const& topic, int partitions) {
    if (rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error("creating topic " + topic + " failed");
    }
  }

  // Every broker refuses connections until brought up again.
  void take_down() {
    for (int id = 1; id <= brokers_; ++id) (void)rd_kafka_mock_broker_set_down(cluster_, id);
  }
  void bring_up() {
    for (int id = 1; id <= brokers_; ++id) (void)rd_kafka_mock_broker_set_up(cluster_, id);
  }

  // The Kafka protocol's key of OffsetCommit requests (rdkafka_mock.h takes the number).
  static constexpr std::int16_t offset_commit_requests = 8;
  // The next `count` requests of `api_key`, to whichever broker, are answered with `error`.
  void answer_next_requests(std::int16_t api_key, std::size_t count, rd_kafka_resp_err_t error) {
    std::vector<rd_kafka_resp_err_t> errors(count, error);
    rd_kafka_mock_push_request_errors_array(cluster_, api_key, count, errors.data());
  }

 private:
  int brokers_;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace once_tests
