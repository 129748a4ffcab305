// fraud-screening: reads claims.events and records one screening per claim
// (flagged at 1,000,000 minor units or more, else clear) by dispatching
// RecordScreening on the claim, which emits ClaimScreened through the outbox
// with the trace of the ClaimSubmitted that caused it.
//
//   fraud-screening --database-url URL --brokers HOST:PORT[,...] [--group G] [--schema S]
//                   [--max-attempts N] [--metrics-listen HOST:PORT]
//
// Exactly once per message through the inbox (docs/kafka.md); what cannot be
// handled goes to claims.events.dlq. SIGTERM commits what is done, leaves
// the group and exits 0.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <pthread.h>

#include <spdlog/logger.h>
#include <CLI/CLI.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/http/server.hpp>
#include <once/kafka/inbox_consumer.hpp>
#include <once/kafka/topics.hpp>
#include <once/observability/structured_log.hpp>
#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/prometheus/prometheus_metrics.hpp>
#include <once/service/service.hpp>

#include <claims/domain/claim.hpp>

#include "screening.hpp"

using claims::domain::claim;

int main(int argc, char** argv) {
  CLI::App app{"fraud-screening: one screening per submitted claim, exactly once"};
  once::postgres::pg_options database;
  database.application_name = "fraud-screening";
  database.pool_size = 2;
  once::kafka::inbox_options inbox;
  inbox.group = "fraud-screening";
  inbox.topics = {"claims.events"};
  std::string metrics_listen;
  app.add_option("--database-url", database.database_url, "PostgreSQL connection URI (the claims' database)")
      ->required();
  app.add_option("--schema", database.schema, "schema of the once tables")->capture_default_str();
  app.add_option("--brokers", inbox.brokers, "Kafka bootstrap servers HOST:PORT[,...]")->required();
  app.add_option("--group", inbox.group, "consumer group, also the inbox's name")->capture_default_str();
  app.add_option("--max-attempts", inbox.max_attempts, "failures before a message goes to the dead-letter topic")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--metrics-listen", metrics_listen, "HOST:PORT serving /metrics and /healthz");
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;

  auto log = once::observability::json_stdout_logger("fraud-screening");
  if (!metrics_listen.empty() && !once::service::parse_listen(metrics_listen)) {
    std::fprintf(stderr, "fraud-screening: --metrics-listen takes HOST:PORT\n");
    return 2;
  }
  if (auto migrated = once::postgres::migrate(database); !migrated) {
    std::fprintf(stderr, "fraud-screening: migration failed: %s\n", migrated.error().message.c_str());
    return 1;
  }
  auto store = once::postgres::pg_command_store::open(database);
  if (!store) {
    std::fprintf(stderr, "fraud-screening: %s\n", store.error().message.c_str());
    return 2;
  }
  once::prometheus::prometheus_metrics metrics;
  once::application::command_dispatcher<claim> claims{**store, {nullptr, nullptr, &metrics}};
  inbox.on_event = [&log](std::string_view event, once::kafka::inbox_message const& message, std::string_view detail) {
    once::observability::log_event(*log, spdlog::level::info, event,
                                   {{"event_id", message.header("event-id").value_or("")},
                                    {"intent", message.header("intent-id").value_or("")},
                                    {"topic", message.topic},
                                    {"partition", static_cast<std::int64_t>(message.partition)},
                                    {"offset", message.offset},
                                    {"detail", detail}});
  };
  for (auto const& topic : {std::string{"claims.events"}, std::string{"claims.events.dlq"}}) {
    if (auto made = once::kafka::ensure_topic(inbox.brokers, topic, 6, std::chrono::seconds{2}); !made) {
      once::observability::log_event(*log, spdlog::level::warn, "topic_not_created",
                                     {{"topic", topic}, {"error", made.error().message}});
    }
  }
  auto consumer = once::kafka::inbox_consumer::open(**store, inbox);
  if (!consumer) {
    std::fprintf(stderr, "fraud-screening: %s\n", consumer.error().message.c_str());
    return 2;
  }
  auto const group = inbox.group;
  (*consumer)->on("ClaimSubmitted", [&claims, group](once::kafka::inbox_message const& message) {
    return claims::screening::screen(claims, message, group);
  });
  auto const& counters = (*consumer)->counters();
  using reading = once::prometheus::prometheus_metrics::reading;
  auto const counted = [&](std::atomic<std::int64_t> const& value) {
    return [&value] { return static_cast<double>(value.load()); };
  };
  metrics.watch("once_inbox_messages_total", "Messages the inbox consumer took in, by what became of them",
                reading::counter, counted(counters.handled), {{"result", "handled"}});
  metrics.watch("once_inbox_messages_total", "Messages the inbox consumer took in, by what became of them",
                reading::counter, counted(counters.duplicates), {{"result", "duplicate"}});
  metrics.watch("once_inbox_messages_total", "Messages the inbox consumer took in, by what became of them",
                reading::counter, counted(counters.dead_lettered), {{"result", "dead_lettered"}});
  metrics.watch("once_inbox_messages_total", "Messages the inbox consumer took in, by what became of them",
                reading::counter, counted(counters.ignored), {{"result", "ignored"}});
  metrics.watch("once_inbox_offset_commits_failed_total",
                "Offset commits given up on after the message was done (a redelivery is skipped by its receipt)",
                reading::counter, counted(counters.uncommitted));

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto operations = once::service::serve_operations(metrics_listen, metrics);
  if (!operations) {
    std::fprintf(stderr, "fraud-screening: --metrics-listen: %s\n", operations.error().message.c_str());
    return 1;
  }
  std::thread consuming{[&] { (*consumer)->run(); }};
  once::observability::log_event(*log, spdlog::level::info, "consuming",
                                 {{"group", group},
                                  {"topic", "claims.events"},
                                  {"metrics_address", once::service::address_of(operations->get(), metrics_listen)}});
  log->flush();
  int received = 0;
  sigwait(&signals, &received);
  (*consumer)->stop();
  consuming.join();
  if (*operations) (*operations)->stop();
  once::observability::log_event(*log, spdlog::level::info, "stopped",
                                 {{"handled", counters.handled.load()}, {"duplicates", counters.duplicates.load()}});
  log->flush();
  return 0;
}
