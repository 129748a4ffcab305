#include <once/service/service.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pthread.h>

#include <spdlog/logger.h>
#include <CLI/CLI.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/application/recent_intents_store.hpp>
#include <once/application/recovery_worker.hpp>
#include <once/http/operations_routes.hpp>
#include <once/kafka/outbox_relay.hpp>
#include <once/kafka/topics.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/observability/structured_log.hpp>
#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/postgres/pg_outbox.hpp>
#include <once/postgres/reconciliation_jobs.hpp>
#include <once/prometheus/prometheus_metrics.hpp>

namespace once::service {
namespace {

// PostgreSQL connections per HTTP I/O thread when --pool-size is not given.
constexpr std::size_t pool_connections_per_thread = 4;

using application::error_code;

// A duration flag in whole milliseconds, written into `into` when given.
void add_milliseconds(CLI::App& app, std::string const& flag, std::chrono::milliseconds& into,
                      std::string const& description) {
  app.add_option_function<std::int64_t>(
         flag, [&into](std::int64_t const& value) { into = std::chrono::milliseconds{value}; }, description)
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->default_str(std::to_string(into.count()));
}

}  // namespace

std::optional<listen_address> parse_listen(std::string const& text) {
  auto const colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  try {
    std::size_t used = 0;
    auto const port_text = text.substr(colon + 1);
    int const number = std::stoi(port_text, &used);
    if (used != port_text.size() || number < 0 || number > 65535) return std::nullopt;
    return listen_address{text.substr(0, colon), static_cast<unsigned short>(number)};
  } catch (...) {
    return std::nullopt;
  }
}

application::result<std::unique_ptr<http::server>> serve_operations(std::string const& listen,
                                                                    prometheus::prometheus_metrics& metrics) {
  if (listen.empty()) return std::unique_ptr<http::server>{};
  auto const address = parse_listen(listen);
  if (!address) return application::fail(error_code::invalid_argument, "a listen address is HOST:PORT");
  http::router routes;
  http::add_operations_routes(routes, {[] { return true; }, [&metrics] { return metrics.text(); }});
  http::server_options options;
  options.address = address->host;
  options.port = address->port;
  options.threads = 1;
  auto server = std::make_unique<http::server>(options, std::move(routes));
  if (auto started = server->start(); !started) return domain::unexpected{started.error()};
  return server;
}

std::string address_of(http::server const* server, std::string const& listen) {
  if (server == nullptr) return {};
  auto const address = parse_listen(listen);
  return (address ? address->host : std::string{}) + ':' + std::to_string(server->port());
}

void add_options(CLI::App& app, options& into) {
  app.add_option("--listen", into.listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option("--store", into.store, "where intents and state live")
      ->check(CLI::IsMember({"postgres", "memory"}))
      ->capture_default_str();
  app.add_option("--database-url", into.postgres.database_url, "PostgreSQL connection URI (with --store postgres)");
  app.add_option("--schema", into.postgres.schema, "schema of the once tables")->capture_default_str();
  app.add_option("--auth-token", into.auth_tokens, "TOKEN:TENANT, repeatable")->required();
  app.add_option("--threads", into.http.threads, "HTTP I/O threads")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--pool-size", into.postgres.pool_size, "PostgreSQL connections (default: 4 per HTTP thread)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}));
  app.add_flag_callback(
      "--no-migrate", [&into] { into.migrate = false; }, "do not apply pending migrations at start");
  app.add_option("--replay-cache", into.replay_cache,
                 "settled intents remembered to answer repeats without a database round trip (0: off)")
      ->capture_default_str();
  app.add_option("--aggregate-cache-mb", into.aggregate_cache_mb,
                 "memory for the aggregates each dispatcher remembers, so that a new intent on one it has seen is "
                 "decided and committed in one database round trip, MiB (0: none)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--log-level", into.log_level,
                 "least level of the request log (requests are info, server errors error)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--max-connections", into.http.max_connections,
                 "open HTTP connections at most; at the cap the one idle longest is closed to admit a new one "
                 "(0: three quarters of the file descriptors free at start)")
      ->capture_default_str();
  add_milliseconds(app, "--idle-timeout-ms", into.http.idle_timeout,
                   "close a connection that sends no request for this long");
  add_milliseconds(app, "--request-timeout-ms", into.http.read_timeout,
                   "cut off a request (or an answer) not through by then");
  add_milliseconds(app, "--statement-timeout-ms", into.postgres.statement_timeout,
                   "client-side bound on a PostgreSQL statement, beyond its allowed lock waits");
  add_milliseconds(app, "--claim-timeout-ms", into.postgres.claim_timeout,
                   "how long PostgreSQL keeps a claim whose caller went quiet (idle_in_transaction_session_timeout)");
  add_milliseconds(app, "--connect-timeout-ms", into.postgres.connect_timeout,
                   "opening a PostgreSQL connection (whole seconds, at least 2)");
  app.add_option("--shared-commits", into.postgres.shared_commit_statements,
                 "commands decided at the same moment share a PostgreSQL transaction, with at most this many such "
                 "statements at once (0: each command its own transaction)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}))
      ->capture_default_str();
  app.add_option("--light-load-commits", into.postgres.light_load_commit_statements,
                 "while each running commit statement carries a single command, up to this many go at once "
                 "(never fewer than --shared-commits)")
      ->check(CLI::Range(std::size_t{0}, std::size_t{1024}))
      ->capture_default_str();
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (CLI::ParseError const& failure) {
    int const printed = app.exit(failure);  // prints help, a version, or the error with its sentence
    return printed == 0 ? 0 : 2;
  }
  return std::nullopt;
}

void add_kafka_options(CLI::App& app, options& into) {
  app.add_option("--brokers", into.brokers, "Kafka bootstrap servers HOST:PORT[,...]: publish the outbox there");
  app.add_flag_callback(
      "--no-relay", [&into] { into.relay = false; }, "do not run the outbox relay in this process (once-relay does)");
}

namespace {

// The outbox relay on its own thread, beside the HTTP server: it creates the
// service's topics first, retrying while the brokers are away.
class relay_thread {
 public:
  relay_thread(options const& service_options, spdlog::logger& log, prometheus::prometheus_metrics& metrics)
      : log_(&log) {
    auto pg = service_options.postgres;
    pg.application_name = service_options.name + "-relay";
    auto outbox = postgres::pg_outbox::open(pg);
    if (!outbox) throw std::runtime_error(outbox.error().message);
    outbox_ = std::move(*outbox);
    kafka::relay_options relay_options;
    relay_options.brokers = service_options.brokers;
    relay_options.on_error = [this](application::error const& failure) {
      observability::log_event(*log_, spdlog::level::warn, "relay_round_failed",
                               {{"code", application::to_string(failure.code)}, {"error", failure.message}});
    };
    auto relay = kafka::outbox_relay::open(*outbox_, relay_options);
    if (!relay) throw std::runtime_error(relay.error().message);
    relay_ = std::move(*relay);
    watch_relay(metrics, *relay_, pg);
    thread_ = std::thread{[this, brokers = service_options.brokers, topics = service_options.topics] {
      ensure(brokers, topics);
      if (!stopping_) relay_->run();
    }};
  }
  relay_thread(relay_thread const&) = delete;
  relay_thread& operator=(relay_thread const&) = delete;
  ~relay_thread() {
    stopping_ = true;
    relay_->stop();
    thread_.join();
  }

 private:
  // A few attempts each, then on: brokers that refuse the admin request (or
  // create topics on first use) must not keep the outbox from being published.
  void ensure(std::string const& brokers, std::vector<std::pair<std::string, int>> const& topics) {
    for (auto const& [topic, partitions] : topics) {
      for (auto const& name : {topic, topic + ".dlq"}) {
        for (int attempt = 1; attempt <= 3 && !stopping_; ++attempt) {
          auto const made = kafka::ensure_topic(brokers, name, partitions, std::chrono::seconds{2});
          if (made) break;
          observability::log_event(*log_, spdlog::level::warn, "topic_not_created",
                                   {{"topic", name}, {"attempt", attempt}, {"error", made.error().message}});
        }
      }
    }
  }

  spdlog::logger* log_;
  std::unique_ptr<postgres::pg_outbox> outbox_;
  std::unique_ptr<kafka::outbox_relay> relay_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

void watch_relay(prometheus::prometheus_metrics& metrics, kafka::outbox_relay const& relay,
                 postgres::pg_options const& database) {
  using reading = prometheus::prometheus_metrics::reading;
  auto const* counters = &relay.counters();
  metrics.watch("once_outbox_published_total", "Outbox rows published and acknowledged by the brokers",
                reading::counter, [counters] { return static_cast<double>(counters->published.load()); });
  metrics.watch("once_outbox_publish_failures_total", "Outbox rows the brokers did not acknowledge in a round",
                reading::counter, [counters] { return static_cast<double>(counters->publish_failures.load()); });
  metrics.watch("once_outbox_relay_leader", "1 while this process's relay holds the outbox lease", reading::gauge,
                [counters] { return counters->leader.load() ? 1.0 : 0.0; });
  // Backlog and lag are the outbox's, whichever relay publishes it; the relay's own
  // connection is its thread's alone, so they are measured on another one.
  auto opened = postgres::pg_outbox::open(database);
  if (!opened) return;
  struct measured {
    std::mutex mutex;
    std::unique_ptr<postgres::pg_outbox> outbox;
    postgres::pg_outbox::backlog last;
  };
  auto shared = std::make_shared<measured>();
  shared->outbox = std::move(*opened);
  metrics.watch("once_outbox_backlog_rows", "Outbox rows not yet published", reading::gauge, [shared] {
    std::lock_guard lock(shared->mutex);
    if (auto backlog = shared->outbox->measure_backlog()) shared->last = *backlog;
    return static_cast<double>(shared->last.rows);
  });
  metrics.watch("once_outbox_lag_seconds", "Age of the oldest unpublished outbox row", reading::gauge, [shared] {
    std::lock_guard lock(shared->mutex);
    return shared->last.oldest_seconds;
  });
}

void watch_steps(prometheus::prometheus_metrics& metrics, application::external_step_store& steps,
                 application::recovery_counters const& recovery) {
  using reading = prometheus::prometheus_metrics::reading;
  // One query per scrape: the first gauge read measures, the others read what it found.
  struct measured {
    std::mutex mutex;
    application::step_summary last;
  };
  auto shared = std::make_shared<measured>();
  auto* store = &steps;
  metrics.watch("once_external_intents", "Intents with an external step that are not settled", reading::gauge,
                [shared, store] {
                  std::lock_guard lock(shared->mutex);
                  if (auto summary = store->summarize()) shared->last = *summary;
                  return static_cast<double>(shared->last.pending);
                },
                {{"status", "pending"}});
  metrics.watch("once_external_intents", "Intents with an external step that are not settled", reading::gauge,
                [shared] {
                  std::lock_guard lock(shared->mutex);
                  return static_cast<double>(shared->last.unknown);
                },
                {{"status", "unknown"}});
  metrics.watch("once_exceptions_open", "Entries of the exception queue not yet resolved", reading::gauge, [shared] {
    std::lock_guard lock(shared->mutex);
    return static_cast<double>(shared->last.open_exceptions);
  });
  metrics.watch("once_exceptions_oldest_age_seconds", "Age of the oldest open entry of the exception queue",
                reading::gauge, [shared] {
                  std::lock_guard lock(shared->mutex);
                  return shared->last.oldest_open_exception_seconds;
                });
  auto const* counts = &recovery;
  for (auto result : {application::recovery_result::recovered, application::recovery_result::recalled,
                      application::recovery_result::waiting, application::recovery_result::not_asked,
                      application::recovery_result::needs_review, application::recovery_result::lost}) {
    metrics.watch(
        "once_recoveries_total", "Steps the recovery worker looked at, by what it did", reading::counter,
        [counts, result] { return static_cast<double>(counts->by_result[static_cast<std::size_t>(result)].load()); },
        {{"result", std::string{application::to_string(result)}}});
  }
}

void watch_reconciliation(prometheus::prometheus_metrics& metrics, postgres::pg_options const& database,
                          std::string const& job) {
  using reading = prometheus::prometheus_metrics::reading;
  auto opened = postgres::reconciliation_jobs::open(database);
  if (!opened) return;
  struct measured {
    std::mutex mutex;
    std::unique_ptr<postgres::reconciliation_jobs> jobs;
    application::reconciliation_report last;
  };
  auto shared = std::make_shared<measured>();
  shared->jobs = std::move(*opened);
  for (std::size_t kind = 0; kind < application::reconciliation_kinds; ++kind) {
    metrics.watch("once_reconciliation_results", "What the latest reconciliation run of a job found, by kind",
                  reading::gauge,
                  [shared, kind, job] {
                    std::lock_guard lock(shared->mutex);
                    if (kind == 0) {  // the first kind read measures; the others read what it found
                      if (auto runs = shared->jobs->latest_runs()) {
                        for (auto const& run : *runs) {
                          if (run.job == job) shared->last = run.report;
                        }
                      }
                    }
                    return static_cast<double>(shared->last.counts[kind]);
                  },
                  {{"job", job},
                   {"kind", std::string{application::to_string(static_cast<application::reconciliation_kind>(kind))}}});
  }
}

struct command_stack::parts {
  std::unique_ptr<application::command_store> store;
  postgres::pg_command_store* postgres = nullptr;     // the store, when it is PostgreSQL
  application::external_step_store* steps = nullptr;  // the store again, as the store of external steps
  std::unique_ptr<application::recent_intents_store> remembered;
};

command_stack::command_stack() : parts_(std::make_unique<parts>()) {}
command_stack::~command_stack() = default;

application::result<std::unique_ptr<command_stack>> command_stack::open(options const& options) {
  std::unique_ptr<command_stack> stack{new command_stack};
  if (options.store == "memory") {
    auto memory = std::make_unique<memory::memory_command_store>();
    stack->parts_->steps = memory.get();
    stack->parts_->store = std::move(memory);
  } else if (options.store == "postgres") {
    if (options.postgres.database_url.empty()) {
      return application::fail(error_code::invalid_argument, "--store postgres needs --database-url");
    }
    postgres::pg_options pg = options.postgres;
    // Handlers waiting for PostgreSQL suspend and let their thread serve
    // others: each thread keeps several statements in flight.
    if (pg.pool_size == 0)
      pg.pool_size = pool_connections_per_thread * static_cast<std::size_t>(std::max(1, options.http.threads));
    if (!options.name.empty()) pg.application_name = options.name;
    if (options.migrate) {
      auto const migrated = postgres::migrate(pg);
      if (!migrated) {
        return application::fail(migrated.error().code, "migration failed: " + migrated.error().message);
      }
    }
    auto opened = postgres::pg_command_store::open(pg);
    if (!opened) return domain::unexpected{opened.error()};
    stack->parts_->postgres = opened->get();
    stack->parts_->steps = opened->get();
    stack->parts_->store = std::move(*opened);
  } else {
    return application::fail(error_code::invalid_argument, "--store is postgres or memory");
  }
  stack->commands_ = stack->parts_->store.get();
  // Repeats of settled intents are answered from memory; everything else still goes to the store.
  if (stack->parts_->postgres != nullptr && options.replay_cache > 0) {
    stack->parts_->remembered =
        std::make_unique<application::recent_intents_store>(*stack->parts_->store, options.replay_cache);
    stack->commands_ = stack->parts_->remembered.get();
  }
  stack->metrics_ = std::make_unique<prometheus::prometheus_metrics>();
  return stack;
}

application::dispatcher_services command_stack::services() const noexcept {
  return {nullptr, nullptr, metrics_.get(), parts_->steps};
}

application::external_step_store& command_stack::steps() noexcept {
  return *parts_->steps;
}

postgres::pg_options const* command_stack::database() const noexcept {
  return parts_->postgres != nullptr ? &parts_->postgres->options() : nullptr;
}

bool command_stack::ready(std::chrono::milliseconds bound) const {
  return parts_->postgres == nullptr || parts_->postgres->ping(bound).has_value();
}

host::host(command_stack& stack, http::bearer_tokens tokens, std::shared_ptr<spdlog::logger> log)
    : stack_(&stack),
      tokens_(std::move(tokens)),
      log_(std::move(log)),
      dispatcher_options_(std::make_unique<application::dispatcher_options>()) {}

host::~host() = default;

int run(options const& options, std::function<void(host&)> const& wire) {
  auto const refuse = [&options](int exit_code, std::string const& message) {
    std::fprintf(stderr, "%s: %s\n", options.name.c_str(), message.c_str());
    return exit_code;
  };
  auto const listening = parse_listen(options.listen);
  if (!listening) return refuse(2, "--listen takes HOST:PORT");
  auto const& address = listening->host;
  auto const port = listening->port;
  auto tokens = http::bearer_tokens::parse(options.auth_tokens);
  if (!tokens) return refuse(2, tokens.error().message);
  auto stack = command_stack::open(options);
  if (!stack) {
    // A wrong flag is the caller's to fix (2); a store that failed to open or migrate is not (1).
    bool const wrong_options = stack.error().code == error_code::invalid_argument;
    return refuse(wrong_options ? 2 : 1, stack.error().message);
  }

  // Lifecycle events always; requests from --log-level up.
  auto log = observability::json_stdout_logger(options.name);
  auto request_log = observability::json_stdout_logger("http");
  request_log->set_level(spdlog::level::from_str(options.log_level));

  host wired{**stack, std::move(*tokens), log};
  wired.dispatcher_options().aggregate_cache_bytes = options.aggregate_cache_mb << 20;
  wire(wired);
  auto routes = wired.take_routes();
  auto workers = wired.take_workers();
  auto& metrics = (*stack)->metrics();
  http::add_operations_routes(routes, {[&stack] { return (*stack)->ready(std::chrono::milliseconds{1000}); },
                                       [&metrics] { return metrics.text(); }});

  // Signals go to the main thread only: block them before the I/O threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The relay reads the outbox on a connection of its own (pg_outbox is used by one thread).
  std::unique_ptr<relay_thread> relay;
  if (!options.brokers.empty() && options.relay && options.store == "postgres") {
    try {
      relay = std::make_unique<relay_thread>(options, *log, metrics);
    } catch (std::exception const& failure) {
      return refuse(2, failure.what());
    }
  }

  http::server_options server_options = options.http;
  server_options.address = address;
  server_options.port = port;
  server_options.request_log = request_log;
  http::server server{server_options, std::move(routes)};
  if (auto started = server.start(); !started) return refuse(1, started.error().message);
  observability::log_event(*log, spdlog::level::info, "listening",
                           {{"address", address + ':' + std::to_string(server.port())},
                            {"store", options.store},
                            {"threads", server_options.threads},
                            {"max_connections", static_cast<std::int64_t>(server.max_connections())}});
  log->flush();
  std::vector<std::thread> beside;
  beside.reserve(workers.size());
  for (auto const& each : workers) beside.emplace_back(each.body);

  int received = 0;
  sigwait(&signals, &received);
  observability::log_event(*log, spdlog::level::info, "draining",
                           {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  for (auto const& each : workers) each.stop();
  for (auto& thread : beside) thread.join();
  relay.reset();
  observability::log_event(*log, spdlog::level::info, "stopped", {});
  log->flush();
  return 0;
}

}  // namespace once::service
