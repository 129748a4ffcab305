/// \file
/// The wiring every once service repeats, in one place: its command line, the
/// store (PostgreSQL migrated at start, or memory), the replay cache in front
/// of it, Prometheus metrics, structured logs, the operations routes, signals
/// and the drain. A service's main is then a page:
///
///   int main(int argc, char** argv) {
///     CLI::App app{"payments-service: accounts and payments over HTTP"};
///     once::service::options options{.name = "payments-service"};
///     once::service::add_options(app, options);
///     if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
///     return once::service::run(options, payments::service::add_routes);  // (once::service::host&)
///   }
///
/// A composition root, not a layer: it is the one place that knows every
/// adapter, so that neither the adapters nor the examples have to.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <once/application/error.hpp>
#include <once/application/fwd.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/server.hpp>
#include <once/postgres/pg_options.hpp>

namespace CLI {
class App;
}

namespace once::prometheus {
class prometheus_metrics;
}

namespace once::kafka {
class outbox_relay;
}

namespace once::service {

/// What a service's command line sets; add_options gives each its flag.
struct options {
  std::string name;  // the binary: its log lines' logger, PostgreSQL's application_name, error texts
  std::string listen = "127.0.0.1:8080";  // --listen HOST:PORT (port 0: any free one)
  std::string store = "postgres";         // --store postgres|memory
  bool migrate = true;                    // --no-migrate: the schema is migrated by once-migrate instead
  std::size_t replay_cache = 100000;      // --replay-cache: settled intents answered from memory (0: off)
  std::size_t aggregate_cache_mb = 32;    // --aggregate-cache-mb: aggregates remembered per dispatcher (0: none)
  std::vector<std::string> auth_tokens;   // --auth-token TOKEN:TENANT, at least one
  std::string log_level = "info";         // --log-level of the request log
  /// --database-url, --schema, --pool-size (0: four per HTTP thread) and the timeouts.
  postgres::pg_options postgres = [] {
    postgres::pg_options defaults;
    defaults.pool_size = 0;
    return defaults;
  }();
  /// Kafka (add_kafka_options): with brokers and the PostgreSQL store, run
  /// starts the outbox relay beside the HTTP server, unless relay is false.
  std::string brokers;  // --brokers HOST:PORT[,...]
  bool relay = true;    // --no-relay: another process (once-relay) publishes the outbox
  /// Topics the service publishes to, created when missing (name, partitions);
  /// each gets its "<name>.dlq" for consumers' dead letters too.
  std::vector<std::pair<std::string, int>> topics;
  /// --threads, --max-connections, --idle-timeout-ms, --request-timeout-ms.
  http::server_options http = [] {
    http::server_options defaults;
    defaults.threads = 4;
    return defaults;
  }();
};

/// Adds the flags above to `app`; parsing writes them into `into`, which must outlive the parse.
void add_options(CLI::App& app, options& into);
/// Adds --brokers and --no-relay, for a service that publishes to Kafka.
void add_kafka_options(CLI::App& app, options& into);

/// The relay's metrics on `metrics`, read at scrape time: once_outbox_published_total,
/// once_outbox_publish_failures_total and once_outbox_relay_leader from `relay`;
/// once_outbox_backlog_rows and once_outbox_lag_seconds from the outbox in
/// `database`, on a connection of their own. `relay` must outlive the scrapes.
void watch_relay(prometheus::prometheus_metrics& metrics, kafka::outbox_relay const& relay,
                 postgres::pg_options const& database);

/// The metrics of external steps on `metrics`, read at scrape time:
/// once_external_intents{status="pending"|"unknown"}, once_exceptions_open,
/// once_exceptions_oldest_age_seconds from `steps`, and
/// once_recoveries_total{result} from `recovery`. Both must outlive the scrapes.
void watch_steps(prometheus::prometheus_metrics& metrics, application::external_step_store& steps,
                 application::recovery_counters const& recovery);

/// The latest reconciliation run of `job` (once-admin reconcile) on `metrics`:
/// once_reconciliation_results{job, kind}, read from `database` at scrape time.
void watch_reconciliation(prometheus::prometheus_metrics& metrics, postgres::pg_options const& database,
                          std::string const& job);

/// "HOST:PORT" as its parts; nullopt when it is not one (port 0: any free port).
struct listen_address {
  std::string host;
  unsigned short port = 0;
};
[[nodiscard]] std::optional<listen_address> parse_listen(std::string const& text);

/// The operations routes alone (/healthz, and /metrics from `metrics`) on
/// `listen` (HOST:PORT), for a process that serves no other HTTP: a consumer,
/// a relay. None when `listen` is empty; an error when it is not HOST:PORT or
/// cannot be bound. address_of(server, listen) says where it listens.
[[nodiscard]] application::result<std::unique_ptr<http::server>> serve_operations(
    std::string const& listen, prometheus::prometheus_metrics& metrics);
/// "HOST:PORT" of a started server, or "" for none.
[[nodiscard]] std::string address_of(http::server const* server, std::string const& listen);

/// Parses the command line into what add_options bound. A flag that is wrong,
/// missing or unknown is printed with CLI11's sentence and gives main's exit
/// code 2 (--help prints and gives 0); nullopt when the service may start.
[[nodiscard]] std::optional<int> parse_command_line(CLI::App& app, int argc, char const* const* argv);

/// The command side every service runs on: the store (PostgreSQL or memory),
/// the replay cache in front of it, and the metrics its dispatchers report to.
class command_stack {
 public:
  /// Opens the store and, unless options.migrate is false, applies pending
  /// migrations first. Errors say which step failed (never the server's text).
  [[nodiscard]] static application::result<std::unique_ptr<command_stack>> open(options const& options);
  ~command_stack();
  command_stack(command_stack const&) = delete;
  command_stack& operator=(command_stack const&) = delete;

  /// Where dispatchers and reads go: the replay cache, or the store when there is none.
  [[nodiscard]] application::command_store& commands() noexcept { return *commands_; }
  [[nodiscard]] prometheus::prometheus_metrics& metrics() noexcept { return *metrics_; }
  /// What a dispatcher built on this stack is given: its metrics and the store of external steps.
  [[nodiscard]] application::dispatcher_services services() const noexcept;
  /// The store of external steps and the exception queue (once/application/external_steps.hpp).
  [[nodiscard]] application::external_step_store& steps() noexcept;
  /// The PostgreSQL options the store was opened with; none for the memory store.
  [[nodiscard]] postgres::pg_options const* database() const noexcept;
  /// Whether the store answers now, within `bound`.
  [[nodiscard]] bool ready(std::chrono::milliseconds bound) const;

 private:
  command_stack();
  struct parts;
  std::unique_ptr<parts> parts_;
  application::command_store* commands_ = nullptr;
  std::unique_ptr<prometheus::prometheus_metrics> metrics_;
};

/// What a service's wiring is given: the stack, the router its routes go on,
/// the tokens that authenticate them, and one dispatcher per aggregate. Every
/// reference lives until run returns, after the server has stopped.
class host {
 public:
  host(command_stack& stack, http::bearer_tokens tokens, std::shared_ptr<spdlog::logger> log);
  ~host();
  host(host const&) = delete;
  host& operator=(host const&) = delete;

  [[nodiscard]] application::command_store& commands() noexcept { return stack_->commands(); }
  [[nodiscard]] command_stack& stack() noexcept { return *stack_; }
  [[nodiscard]] http::router& routes() noexcept { return routes_; }
  [[nodiscard]] http::bearer_tokens const& tokens() const noexcept { return tokens_; }
  /// Lifecycle lines (JSON, the service's logger): for what the wiring starts.
  [[nodiscard]] spdlog::logger& log() noexcept { return *log_; }

  /// The options the dispatchers are built with (external steps' timeouts and
  /// leases); set them before the first dispatcher<...>() call.
  [[nodiscard]] application::dispatcher_options& dispatcher_options() noexcept { return *dispatcher_options_; }

  /// A worker that runs beside the server (a recovery worker): `body` runs on
  /// a thread of its own from after the server started until `stop` makes it
  /// return, which run calls after the server has drained.
  void beside(std::function<void()> body, std::function<void()> stop) {
    workers_.push_back({std::move(body), std::move(stop)});
  }
  struct worker {
    std::function<void()> body;
    std::function<void()> stop;
  };
  [[nodiscard]] std::vector<worker> take_workers() { return std::move(workers_); }

  /// The dispatcher of `Aggregate`'s commands on this stack; the same one on
  /// every call. Where it is called, once/application/command_dispatcher.hpp
  /// is included (this header names the dispatcher only, so that a service's
  /// main does not compile the dispatcher, Boost.Hana and nlohmann/json).
  template <domain::aggregate Aggregate>
  [[nodiscard]] application::command_dispatcher<Aggregate>& dispatcher() {
    auto& slot = dispatchers_[std::type_index{typeid(Aggregate)}];
    if (!slot) {
      slot = std::make_shared<application::command_dispatcher<Aggregate>>(stack_->commands(), stack_->services(),
                                                                          *dispatcher_options_);
    }
    return *std::static_pointer_cast<application::command_dispatcher<Aggregate>>(slot);
  }

  /// Hands the routes to the server: called by run after the wiring.
  [[nodiscard]] http::router take_routes() { return std::move(routes_); }

 private:
  command_stack* stack_;
  http::bearer_tokens tokens_;
  http::router routes_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<application::dispatcher_options> dispatcher_options_;  // complete where dispatchers are built
  std::vector<worker> workers_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> dispatchers_;
};

/// Builds the stack from `options`, lets `wire` add the service's routes,
/// adds /healthz, /readyz and /metrics, starts the outbox relay when Kafka
/// brokers are given (it creates the topics, and retries while the brokers are
/// away: the service serves HTTP meanwhile), listens, logs a "listening" line
/// with the address (scripts and once::testing::service_process wait for it),
/// and serves until SIGTERM or SIGINT; then drains the requests in progress
/// and stops the relay after its round.
/// Returns main's exit code: 0 after a drain, 1 when the store, a migration
/// or the listener failed, 2 when the options are wrong.
[[nodiscard]] int run(options const& options, std::function<void(host&)> const& wire);

}  // namespace once::service
