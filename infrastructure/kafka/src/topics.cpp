#include <once/kafka/topics.hpp>

#include <memory>

#include <librdkafka/rdkafka.h>

namespace once::kafka {

using application::error_code;
using application::fail;

application::result<void> ensure_topic(std::string const& brokers, std::string const& topic, int partitions,
                                       std::chrono::milliseconds timeout) {
  char problem[512] = {};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), problem, sizeof problem) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", problem, sizeof problem) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return fail(error_code::invalid_argument, std::string{"Kafka settings: "} + problem);
  }
  std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> admin{
      rd_kafka_new(RD_KAFKA_PRODUCER, conf, problem, sizeof problem), &rd_kafka_destroy};
  if (!admin) return fail(error_code::invalid_argument, std::string{"Kafka admin client: "} + problem);
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> wanted{
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, problem, sizeof problem), &rd_kafka_NewTopic_destroy};
  if (!wanted) return fail(error_code::invalid_argument, "topic " + topic + ": " + problem);
  std::unique_ptr<rd_kafka_queue_t, decltype(&rd_kafka_queue_destroy)> answers{rd_kafka_queue_new(admin.get()),
                                                                               &rd_kafka_queue_destroy};
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options{
      rd_kafka_AdminOptions_new(admin.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS), &rd_kafka_AdminOptions_destroy};
  (void)rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()), problem,
                                                  sizeof problem);
  rd_kafka_NewTopic_t* topics[] = {wanted.get()};
  rd_kafka_CreateTopics(admin.get(), topics, 1, options.get(), answers.get());
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> answer{
      rd_kafka_queue_poll(answers.get(), static_cast<int>(timeout.count()) + 1000), &rd_kafka_event_destroy};
  if (!answer) return fail(error_code::unavailable, "the brokers did not answer the creation of " + topic);
  if (rd_kafka_event_error(answer.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(error_code::unavailable, "creating " + topic + ": " + rd_kafka_event_error_string(answer.get()));
  }
  std::size_t count = 0;
  auto const* results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(answer.get()), &count);
  for (std::size_t i = 0; i < count; ++i) {
    auto const error = rd_kafka_topic_result_error(results[i]);
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR && error != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return fail(error_code::unavailable, "creating " + topic + ": " + rd_kafka_err2str(error));
    }
  }
  return {};
}

}  // namespace once::kafka
