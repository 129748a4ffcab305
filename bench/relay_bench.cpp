// The outbox relay against librdkafka's mock cluster (in this process, the
// real protocol) and a real PostgreSQL. Measured, never asserted.
//
//   once_relay_bench --database-url URL --schema NAME [--rows 50000] [--aggregates 1000]
//                    [--clients 16] [--seconds 10]
//
// drain:   a backlog of --rows rows over --aggregates aggregates, published
//          by the relay in rounds of 1000, beside the baseline of the same
//          run: the same relay publishing and marking one row per round (how
//          a per-message outbox library commits), on a tenth of the rows;
// keep up: --clients threads dispatching commands for --seconds while the
//          relay runs; the write rate, and the lag from a command's commit
//          (the message timestamp) to a consumer receiving its event, p50/p99.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>
#include <CLI/CLI.hpp>
#include <pqxx/connection>
#include <pqxx/nontransaction>

#include <once/application/command_dispatcher.hpp>
#include <once/kafka/outbox_relay.hpp>
#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/postgres/pg_outbox.hpp>
#include <once/testing/client_threads.hpp>

#include "counter.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

struct mock_cluster {
  rd_kafka_t* handle = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  mock_cluster() {
    char problem[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    (void)rd_kafka_conf_set(conf, "log_level", "0", problem, sizeof problem);
    // The mock brokers' sockets take this handle's settings; without it each answer waits for delayed ACKs.
    (void)rd_kafka_conf_set(conf, "socket.nagle.disable", "true", problem, sizeof problem);
    handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, problem, sizeof problem);
    cluster = rd_kafka_mock_cluster_new(handle, 3);
  }
  ~mock_cluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(handle);
  }
  std::string brokers() const { return rd_kafka_mock_cluster_bootstraps(cluster); }
};

void exec(std::string const& url, std::string const& sql) {
  pqxx::connection connection{url};
  pqxx::nontransaction statement{connection};
  statement.exec(sql);
}

std::int64_t unpublished(std::string const& url, std::string const& schema) {
  pqxx::connection connection{url};
  pqxx::nontransaction statement{connection};
  return statement.exec("SELECT count(*) FROM " + schema + ".once_outbox WHERE published_at IS NULL")
      .at(0)
      .at(0)
      .as<std::int64_t>();
}

// Rows as the dispatcher writes them, `rows` over `aggregates`, in one statement.
void write_backlog(std::string const& url, std::string const& schema, std::string const& topic, int rows,
                   int aggregates) {
  exec(url, "INSERT INTO " + schema +
                ".once_outbox (message_id, tenant, aggregate_type, aggregate_id, aggregate_version, event_type, "
                "topic, message_key, payload) SELECT md5(random()::text || g::text), 'bench', 'bench.counter', "
                "'C-' || (g % " +
                std::to_string(aggregates) + "), g / " + std::to_string(aggregates) + " + 1, 'bench.added', '" + topic +
                "', 'C-' || (g % " + std::to_string(aggregates) + "), '{\"amount\":1}' FROM generate_series(0, " +
                std::to_string(rows - 1) + ") g");
}

double drain_rate(once::kafka::outbox_relay& relay, std::string const& url, std::string const& schema) {
  auto const began = clock_type::now();
  auto const rows = unpublished(url, schema);
  while (unpublished(url, schema) > 0) {
    for (int i = 0; i < 50; ++i) (void)relay.run_round();
  }
  return static_cast<double>(rows) / std::chrono::duration<double>(clock_type::now() - began).count();
}

std::unique_ptr<once::kafka::outbox_relay> relay_on(once::postgres::pg_outbox& outbox, std::string const& brokers,
                                                    std::size_t batch) {
  once::kafka::relay_options options;
  options.brokers = brokers;
  options.batch_size = batch;
  options.poll_interval = std::chrono::milliseconds{20};
  options.producer_settings = {{"log_level", "0"}};
  auto relay = once::kafka::outbox_relay::open(outbox, options);
  if (!relay) throw std::runtime_error(relay.error().message);
  return std::move(*relay);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"the outbox relay's throughput and lag on the mock Kafka cluster"};
  std::string url;
  std::string schema;
  int rows = 50000;
  int aggregates = 1000;
  int clients = 16;
  int seconds = 10;
  app.add_option("--database-url", url)->required();
  app.add_option("--schema", schema)->required();
  app.add_option("--rows", rows)->capture_default_str();
  app.add_option("--aggregates", aggregates)->capture_default_str();
  app.add_option("--clients", clients)->capture_default_str();
  app.add_option("--seconds", seconds)->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  once::postgres::pg_options options{url, schema, static_cast<std::size_t>(clients)};
  if (auto migrated = once::postgres::migrate(options); !migrated) {
    std::fprintf(stderr, "migrate: %s\n", migrated.error().message.c_str());
    return 1;
  }
  mock_cluster kafka;
  (void)rd_kafka_mock_topic_create(kafka.cluster, "bench.counter", 6, 1);
  auto outbox = once::postgres::pg_outbox::open(options);
  if (!outbox) return 1;

  std::printf("| measurement | value |\n|---|---|\n");
  write_backlog(url, schema, "bench.counter", rows / 10, aggregates);
  auto baseline = relay_on(**outbox, kafka.brokers(), 1);
  double const one_by_one = drain_rate(*baseline, url, schema);
  baseline.reset();
  write_backlog(url, schema, "bench.counter", rows, aggregates);
  auto relay = relay_on(**outbox, kafka.brokers(), 1000);
  double const batched = drain_rate(*relay, url, schema);
  std::printf("| drain %d rows, rounds of 1000: messages/s | %.0f |\n", rows, batched);
  std::printf("| baseline, one row per round (%d rows): messages/s | %.0f |\n", rows / 10, one_by_one);
  std::printf("| ratio | %.1f |\n", batched / one_by_one);
  std::fflush(stdout);

  // Keep up: writers and the relay at once, a consumer timing each event's arrival.
  auto store = once::postgres::pg_command_store::open(options);
  if (!store) return 1;
  once::application::command_dispatcher<once_bench::counter> counters{**store};
  std::atomic<bool> relaying{true};
  std::thread relay_thread{[&] {
    while (relaying) {
      auto const round = relay->run_round();
      if (round && *round == 0) (*outbox)->wait_for_rows(std::chrono::milliseconds{20});
    }
  }};
  std::vector<double> lags_ms;
  std::atomic<bool> consuming{true};
  std::thread consumer_thread{[&] {
    std::string problem;
    std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
    (void)conf->set("bootstrap.servers", kafka.brokers(), problem);
    (void)conf->set("group.id", "bench-lag", problem);
    (void)conf->set("auto.offset.reset", "latest", problem);
    (void)conf->set("fetch.wait.max.ms", "5", problem);  // the relay's lag, not the fetch's long poll
    (void)conf->set("socket.nagle.disable", "true", problem);
    (void)conf->set("log_level", "0", problem);
    std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf.get(), problem)};
    std::vector<RdKafka::TopicPartition*> partitions;
    for (int p = 0; p < 6; ++p)
      partitions.push_back(RdKafka::TopicPartition::create("bench.counter", p, RdKafka::Topic::OFFSET_END));
    (void)consumer->assign(partitions);
    RdKafka::TopicPartition::destroy(partitions);
    while (consuming) {
      std::unique_ptr<RdKafka::Message> message{consumer->consume(50)};
      if (message->err() != RdKafka::ERR_NO_ERROR) continue;
      auto const now_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      lags_ms.push_back(static_cast<double>(now_ms - message->timestamp().timestamp));
    }
    consumer->close();
  }};
  std::this_thread::sleep_for(std::chrono::seconds{1});  // the consumer is at the end of every partition
  auto const writes = once::testing::run_clients(clients, std::chrono::seconds{seconds}, [&](int c) {
    return [&counters, c, n = 0]() mutable {
      once::domain::envelope env;
      env.tenant = "bench";
      auto const id = "W-" + std::to_string(c) + "-" + std::to_string(n++);
      return counters.dispatch(once_bench::add{"K-" + std::to_string(n % 500), id, 1}, env).has_value();
    };
  });
  std::this_thread::sleep_for(std::chrono::seconds{2});  // the last events arrive
  relaying = false;
  consuming = false;
  relay_thread.join();
  consumer_thread.join();
  std::sort(lags_ms.begin(), lags_ms.end());
  auto const at = [&](double p) {
    return lags_ms.empty() ? 0.0
                           : lags_ms[std::min(lags_ms.size() - 1,
                                              static_cast<std::size_t>(p * static_cast<double>(lags_ms.size())))];
  };
  std::printf("| keep up, %d clients: commands/s written | %.0f |\n", clients, writes.per_second);
  std::printf("| events received by the consumer | %zu |\n", lags_ms.size());
  std::printf("| lag commit to consumer p50 ms | %.1f |\n", at(0.50));
  std::printf("| lag commit to consumer p99 ms | %.1f |\n", at(0.99));
  std::printf("| rows left unpublished | %lld |\n", static_cast<long long>(unpublished(url, schema)));
  return 0;
}
