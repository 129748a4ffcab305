// librdkafka's mock cluster (rdkafka_mock.h) in the test process: real
// brokers speaking the Kafka protocol on loopback ports, for real producers
// and consumers; and a consumer that reads a topic back, for checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

namespace once_tests {

class kafka_cluster {
 public:
  explicit kafka_cluster(int brokers = 3) : brokers_(brokers) {
    char problem[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    (void)rd_kafka_conf_set(conf, "log_level", "0", problem, sizeof problem);
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

 private:
  int brokers_;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

struct received_message {
  std::string key;
  std::string value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::map<std::string, std::string> headers;  // the first value of each name
};

// Reads the `partitions` partitions of `topic` from the beginning (assigned,
// no group) until `count` messages arrived or `patience` passed without one.
inline std::vector<received_message> read_topic(std::string const& brokers, std::string const& topic, int partitions,
                                                std::size_t count,
                                                std::chrono::milliseconds patience = std::chrono::seconds{10}) {
  std::string problem;
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  static int groups = 0;
  for (auto const& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", brokers},
           {"group.id", "reader-" + std::to_string(++groups) + "-" + std::to_string(::getpid())},
           {"auto.offset.reset", "earliest"},
           {"enable.auto.commit", "false"},
           {"log_level", "0"}}) {
    if (conf->set(name, value, problem) != RdKafka::Conf::CONF_OK) throw std::runtime_error(problem);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf.get(), problem)};
  if (!consumer) throw std::runtime_error("consumer: " + problem);
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p) {
    assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
  }
  (void)consumer->assign(assignment);
  RdKafka::TopicPartition::destroy(assignment);
  std::vector<received_message> messages;
  auto quiet_since = std::chrono::steady_clock::now();
  while (messages.size() < count && std::chrono::steady_clock::now() - quiet_since < patience) {
    std::unique_ptr<RdKafka::Message> message{consumer->consume(100)};
    if (message->err() != RdKafka::ERR_NO_ERROR) continue;
    received_message each;
    if (message->key() != nullptr) each.key = *message->key();
    each.value.assign(static_cast<char const*>(message->payload()), message->len());
    each.partition = message->partition();
    each.offset = message->offset();
    if (auto* headers = message->headers()) {
      for (auto const& header : headers->get_all()) {
        each.headers.emplace(header.key(), std::string{static_cast<char const*>(header.value()), header.value_size()});
      }
    }
    messages.push_back(std::move(each));
    quiet_since = std::chrono::steady_clock::now();
  }
  consumer->close();
  return messages;
}

}  // namespace once_tests
