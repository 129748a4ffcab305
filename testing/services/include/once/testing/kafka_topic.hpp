/// \file
/// Reading a Kafka topic back in a test: every message of its partitions from
/// the beginning, with key, value, position and headers, by a consumer that
/// joins no group.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

namespace once::testing {

struct received_message {
  std::string key;
  std::string value;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::map<std::string, std::string> headers;  // the first value of each name
};

/// Reads the `partitions` partitions of `topic` from the beginning (assigned,
/// no group) until `count` messages arrived or `patience` passed without one.
inline std::vector<received_message> read_topic(std::string const& brokers, std::string const& topic, int partitions,
                                                std::size_t count,
                                                std::chrono::milliseconds patience = std::chrono::seconds{10}) {
  std::string problem;
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  static int groups = 0;  // a group id is still needed by librdkafka
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

}  // namespace once::testing
