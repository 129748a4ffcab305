// payments-service: the payments domain over HTTP, exactly once.
//
//   payments-service --listen 127.0.0.1:8080 --store postgres|memory
//     --database-url URL --auth-token TOKEN:TENANT [--auth-token ...] [--threads N]
//     [--schema NAME] [--pool-size N] [--no-migrate] [--replay-cache N] [--log-level LEVEL]
//     [--max-connections N] [--idle-timeout-ms MS] [--request-timeout-ms MS]
//     [--statement-timeout-ms MS] [--claim-timeout-ms MS] [--connect-timeout-ms MS]
//
// With --store postgres, pending migrations are applied at start unless
// --no-migrate is given. Logs are JSON lines on stdout (one per request, with
// the intent id); /metrics serves Prometheus text. SIGTERM or SIGINT drains
// requests in progress and exits 0.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <pthread.h>

#include <spdlog/logger.h>
#include <CLI/CLI.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/application/recent_intents_store.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/operations_routes.hpp>
#include <once/http/server.hpp>
#include <once/http/structured_log.hpp>
#include <once/memory/memory_command_store.hpp>
#include <once/postgres/migrator.hpp>
#include <once/postgres/pg_command_store.hpp>
#include <once/prometheus/prometheus_metrics.hpp>

#include "payments_routes.hpp"

namespace {

// "HOST:PORT" into its parts; false when it is not one.
bool split_listen(std::string const& listen, std::string& host, unsigned short& port) {
  auto const colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  try {
    int const number = std::stoi(listen.substr(colon + 1));
    if (number < 0 || number > 65535) return false;
    port = static_cast<unsigned short>(number);
  } catch (...) {
    return false;
  }
  host = listen.substr(0, colon);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"payments-service: accounts and payments over HTTP, every intent exactly once"};
  std::string listen = "127.0.0.1:8080";
  std::string store_kind = "postgres";
  std::string database_url;
  std::string schema = "public";
  std::vector<std::string> token_specs;
  int threads = 4;
  int pool_size = 0;
  bool no_migrate = false;
  std::string log_level = "info";
  std::size_t replay_cache = 100000;
  once::http::server_options server_options;
  once::postgres::pg_options pg_defaults;
  std::size_t max_connections = 0;
  std::int64_t idle_timeout_ms = server_options.idle_timeout.count();
  std::int64_t request_timeout_ms = server_options.read_timeout.count();
  std::int64_t statement_timeout_ms = pg_defaults.statement_timeout.count();
  std::int64_t claim_timeout_ms = pg_defaults.claim_timeout.count();
  std::int64_t connect_timeout_ms = pg_defaults.connect_timeout.count();
  app.add_option("--listen", listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option("--store", store_kind, "where intents and state live")
      ->check(CLI::IsMember({"postgres", "memory"}))
      ->capture_default_str();
  app.add_option("--database-url", database_url, "PostgreSQL connection URI (with --store postgres)");
  app.add_option("--schema", schema, "schema of the once tables")->capture_default_str();
  app.add_option("--auth-token", token_specs, "TOKEN:TENANT, repeatable")->required();
  app.add_option("--threads", threads, "HTTP I/O threads")->check(CLI::Range(1, 256))->capture_default_str();
  app.add_option("--pool-size", pool_size, "PostgreSQL connections (default: threads)")->check(CLI::Range(0, 1024));
  app.add_flag("--no-migrate", no_migrate, "do not apply pending migrations at start");
  app.add_option("--replay-cache", replay_cache,
                 "settled intents remembered to answer repeats without a database round trip (0: off)")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "least level of the request log (requests are info, server errors error)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warning", "error", "critical", "off"}))
      ->capture_default_str();
  app.add_option("--max-connections", max_connections,
                 "open HTTP connections at most; at the cap the one idle longest is closed to admit a new one "
                 "(0: three quarters of the file descriptors free at start)")
      ->capture_default_str();
  app.add_option("--idle-timeout-ms", idle_timeout_ms, "close a connection that sends no request for this long")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--request-timeout-ms", request_timeout_ms, "cut off a request (or an answer) not through by then")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--statement-timeout-ms", statement_timeout_ms,
                 "client-side bound on a PostgreSQL statement, beyond its allowed lock waits")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--claim-timeout-ms", claim_timeout_ms,
                 "how long PostgreSQL keeps a claim whose caller went quiet (idle_in_transaction_session_timeout)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->capture_default_str();
  app.add_option("--connect-timeout-ms", connect_timeout_ms,
                 "opening a PostgreSQL connection (whole seconds, at least 2)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400000}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string host;
  unsigned short port = 0;
  if (!split_listen(listen, host, port)) {
    std::fprintf(stderr, "payments-service: --listen takes HOST:PORT\n");
    return 2;
  }
  auto tokens = once::http::bearer_tokens::parse(token_specs);
  if (!tokens) {
    std::fprintf(stderr, "payments-service: %s\n", tokens.error().message.c_str());
    return 2;
  }

  std::unique_ptr<once::application::command_store> store;
  std::function<bool()> ready = [] { return true; };
  if (store_kind == "memory") {
    store = std::make_unique<once::memory::memory_command_store>();
  } else {
    if (database_url.empty()) {
      std::fprintf(stderr, "payments-service: --store postgres needs --database-url\n");
      return 2;
    }
    once::postgres::pg_options options;
    options.database_url = database_url;
    options.schema = schema;
    options.pool_size = static_cast<std::size_t>(pool_size > 0 ? pool_size : threads);
    options.application_name = "payments-service";
    options.statement_timeout = std::chrono::milliseconds{statement_timeout_ms};
    options.claim_timeout = std::chrono::milliseconds{claim_timeout_ms};
    options.connect_timeout = std::chrono::milliseconds{connect_timeout_ms};
    if (!no_migrate) {
      auto const migrated = once::postgres::migrate(options);
      if (!migrated) {
        std::fprintf(stderr, "payments-service: migration failed: %s\n", migrated.error().message.c_str());
        return 1;
      }
    }
    auto opened = once::postgres::pg_command_store::open(options);
    if (!opened) {
      std::fprintf(stderr, "payments-service: %s\n", opened.error().message.c_str());
      return 2;
    }
    ready = [pg = opened->get()] { return pg->ping(std::chrono::milliseconds{1000}).has_value(); };
    store = std::move(*opened);
  }
  // Repeats of settled intents are answered from memory; everything else still goes to the store.
  std::unique_ptr<once::application::recent_intents_store> remembered;
  once::application::command_store* commands = store.get();
  if (store_kind == "postgres" && replay_cache > 0) {
    remembered = std::make_unique<once::application::recent_intents_store>(*store, replay_cache);
    commands = remembered.get();
  }

  // Lifecycle events always; requests from --log-level up.
  auto log = once::http::json_stdout_logger("payments-service");
  auto request_log = once::http::json_stdout_logger("http");
  request_log->set_level(spdlog::level::from_str(log_level));
  once::prometheus::prometheus_metrics metrics;
  once::application::command_dispatcher<payments::domain::account> accounts{*commands, {nullptr, nullptr, &metrics}};
  once::http::router routes;
  payments::service::add_routes(routes, accounts, *commands, *tokens);
  once::http::add_operations_routes(routes, {ready, [&metrics] { return metrics.text(); }});

  // Signals go to the main thread only: block them before the I/O threads start.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server_options.address = host;
  server_options.max_connections = max_connections;
  server_options.idle_timeout = std::chrono::milliseconds{idle_timeout_ms};
  server_options.read_timeout = std::chrono::milliseconds{request_timeout_ms};
  server_options.port = port;
  server_options.threads = threads;
  server_options.request_log = request_log;
  once::http::server server{server_options, std::move(routes)};
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "payments-service: %s\n", started.error().message.c_str());
    return 1;
  }
  // Scripts wait for this line to learn the port.
  once::http::log_event(*log, spdlog::level::info, "listening",
                        {{"address", host + ':' + std::to_string(server.port())},
                         {"store", store_kind},
                         {"threads", threads},
                         {"max_connections", static_cast<std::int64_t>(server.max_connections())}});
  log->flush();

  int received = 0;
  sigwait(&signals, &received);
  once::http::log_event(*log, spdlog::level::info, "draining",
                        {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  once::http::log_event(*log, spdlog::level::info, "stopped", {});
  log->flush();
  return 0;
}
