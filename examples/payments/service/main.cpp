// payments-service: the payments domain over HTTP, exactly once.
//
//   payments-service --listen 127.0.0.1:8080 --store postgres|memory
//     --database-url URL --auth-token TOKEN:TENANT [--auth-token ...] [--threads N]
//     [--schema NAME] [--pool-size N] [--no-migrate] [--replay-cache N] [--log-level LEVEL]
//     [--max-connections N] [--idle-timeout-ms MS] [--request-timeout-ms MS]
//     [--statement-timeout-ms MS] [--claim-timeout-ms MS] [--connect-timeout-ms MS] [--shared-commits N]
//     [--light-load-commits N]
//
// The flags, the migration at start, the logs, /healthz, /readyz, /metrics and
// the drain on SIGTERM are once::service's (once/service/service.hpp); this
// file adds the payments routes.
#include <CLI/CLI.hpp>

#include <once/service/service.hpp>

#include "payments_routes.hpp"

int main(int argc, char** argv) {
  CLI::App app{"payments-service: accounts and payments over HTTP, every intent exactly once"};
  once::service::options options{.name = "payments-service"};
  once::service::add_options(app, options);
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
  return once::service::run(options, payments::service::add_routes);
}
