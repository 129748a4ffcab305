// once-relay: the outbox relay alone, for a schema whose service runs none
// (or as a second relay beside it: the lease lets one publish at a time).
//
//   once-relay --database-url URL --brokers HOST:PORT[,...] [--schema NAME]
//              [--batch-size N] [--poll-interval-ms MS] [--lease-ttl-ms MS] [--delivery-timeout-ms MS]
//              [--metrics-listen HOST:PORT]
//
// Logs JSON lines on stdout (rounds that failed); serves /metrics (the
// once_outbox_* series) and /healthz on --metrics-listen; SIGTERM or SIGINT
// ends the round in progress and exits 0.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <pthread.h>

#include <spdlog/logger.h>
#include <CLI/CLI.hpp>

#include <once/http/server.hpp>
#include <once/kafka/outbox_relay.hpp>
#include <once/observability/structured_log.hpp>
#include <once/postgres/pg_outbox.hpp>
#include <once/prometheus/prometheus_metrics.hpp>
#include <once/service/service.hpp>

int main(int argc, char** argv) {
  CLI::App app{"once-relay: publishes a schema's outbox to Kafka, each row once acknowledged"};
  once::postgres::pg_options database;
  database.application_name = "once-relay";
  once::kafka::relay_options relay;
  std::int64_t poll_interval_ms = relay.poll_interval.count();
  std::int64_t lease_ttl_ms = relay.lease_ttl.count();
  std::int64_t delivery_timeout_ms = relay.delivery_timeout.count();
  app.add_option("--database-url", database.database_url, "PostgreSQL connection URI")->required();
  app.add_option("--schema", database.schema, "schema of the once tables")->capture_default_str();
  app.add_option("--brokers", relay.brokers, "Kafka bootstrap servers, HOST:PORT[,...]")->required();
  app.add_option("--batch-size", relay.batch_size, "rows published per round")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}))
      ->capture_default_str();
  app.add_option("--poll-interval-ms", poll_interval_ms, "looks for rows this often when not notified")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{60000}))
      ->capture_default_str();
  app.add_option("--lease-ttl-ms", lease_ttl_ms, "how long another relay waits after this one stopped renewing")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600000}))
      ->capture_default_str();
  app.add_option("--delivery-timeout-ms", delivery_timeout_ms, "a row not acknowledged by then is retried")
      ->check(CLI::Range(std::int64_t{100}, std::int64_t{600000}))
      ->capture_default_str();
  std::string metrics_listen;
  app.add_option("--metrics-listen", metrics_listen, "HOST:PORT serving /metrics and /healthz");
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
  if (!metrics_listen.empty() && !once::service::parse_listen(metrics_listen)) {
    std::fprintf(stderr, "once-relay: --metrics-listen takes HOST:PORT\n");
    return 2;
  }
  relay.poll_interval = std::chrono::milliseconds{poll_interval_ms};
  relay.lease_ttl = std::chrono::milliseconds{lease_ttl_ms};
  relay.delivery_timeout = std::chrono::milliseconds{delivery_timeout_ms};

  auto log = once::observability::json_stdout_logger("once-relay");
  relay.on_error = [&log](once::application::error const& failure) {
    once::observability::log_event(*log, spdlog::level::warn, "round_failed",
                                   {{"code", once::application::to_string(failure.code)},
                                    {"error", failure.message},
                                    {"store_code", failure.store_code}});
  };
  auto outbox = once::postgres::pg_outbox::open(database);
  if (!outbox) {
    std::fprintf(stderr, "once-relay: %s\n", outbox.error().message.c_str());
    return 2;
  }
  auto relayed = once::kafka::outbox_relay::open(**outbox, relay);
  if (!relayed) {
    std::fprintf(stderr, "once-relay: %s\n", relayed.error().message.c_str());
    return 2;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  once::prometheus::prometheus_metrics metrics;
  if (!metrics_listen.empty()) once::service::watch_relay(metrics, **relayed, database);
  auto operations = once::service::serve_operations(metrics_listen, metrics);
  if (!operations) {
    std::fprintf(stderr, "once-relay: --metrics-listen: %s\n", operations.error().message.c_str());
    return 1;
  }
  std::thread rounds{[&] { (*relayed)->run(); }};
  once::observability::log_event(*log, spdlog::level::info, "relaying",
                                 {{"schema", database.schema},
                                  {"brokers", relay.brokers},
                                  {"metrics_address", once::service::address_of(operations->get(), metrics_listen)}});
  log->flush();
  int received = 0;
  sigwait(&signals, &received);
  (*relayed)->stop();
  rounds.join();
  if (*operations) (*operations)->stop();
  once::observability::log_event(
      *log, spdlog::level::info, "stopped",
      {{"published", (*relayed)->counters().published.load()}, {"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  log->flush();
  return 0;
}
