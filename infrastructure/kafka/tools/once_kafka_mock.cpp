// once-kafka-mock: librdkafka's mock cluster (rdkafka_mock.h) as a process:
// brokers that speak the real Kafka protocol on loopback ports, for demos and
// black-box tests of services and consumers. Not a production broker.
//
//   once-kafka-mock [--brokers 3] [--topic NAME:PARTITIONS ...]
//
// Prints one JSON line {"event":"listening","bootstrap_servers":"127.0.0.1:P,..."}
// and runs until SIGTERM or SIGINT. SIGUSR1 takes every broker down, SIGUSR2
// brings them back (to show and test outages); each prints {"event":"brokers_down"}
// or {"event":"brokers_up"} once done.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <pthread.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"once-kafka-mock: librdkafka's mock Kafka cluster on loopback, for demos and tests"};
  int brokers = 3;
  std::vector<std::string> topics;
  app.add_option("--brokers", brokers, "brokers in the cluster")->check(CLI::Range(1, 9))->capture_default_str();
  app.add_option("--topic", topics, "NAME:PARTITIONS to create, repeatable");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  for (int each : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaddset(&signals, each);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before librdkafka starts its threads

  char problem[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  (void)rd_kafka_conf_set(conf, "log_level", "0", problem, sizeof problem);
  // The mock brokers' sockets take this handle's settings; without it each answer waits for delayed ACKs.
  (void)rd_kafka_conf_set(conf, "socket.nagle.disable", "true", problem, sizeof problem);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, problem, sizeof problem);
  if (handle == nullptr) {
    std::fprintf(stderr, "once-kafka-mock: %s\n", problem);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "once-kafka-mock: the mock cluster did not start\n");
    return 1;
  }
  for (auto const& spec : topics) {
    auto const colon = spec.rfind(':');
    int const partitions = colon == std::string::npos ? 1 : std::stoi(spec.substr(colon + 1));
    auto const name = spec.substr(0, colon);
    if (rd_kafka_mock_topic_create(cluster, name.c_str(), partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "once-kafka-mock: topic %s could not be created\n", name.c_str());
      return 2;
    }
  }
  std::printf("{\"event\":\"listening\",\"bootstrap_servers\":\"%s\"}\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);

  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGUSR1 || received == SIGUSR2) {
      for (int id = 1; id <= brokers; ++id) {
        (void)(received == SIGUSR1 ? rd_kafka_mock_broker_set_down(cluster, id)
                                   : rd_kafka_mock_broker_set_up(cluster, id));
      }
      // Said once done, so that a test or a demo can wait for it instead of guessing.
      std::printf("{\"event\":\"%s\"}\n", received == SIGUSR1 ? "brokers_down" : "brokers_up");
      std::fflush(stdout);
      continue;
    }
    break;
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(handle);
  return 0;
}
