// legacy-facade-service: an idempotent front for a legacy transfers core that
// is not idempotent at all.
//
//   legacy-facade-service --listen HOST:PORT --store postgres --database-url URL --auth-token TOKEN:TENANT
//     [--operator-token TOKEN] --legacy-url http://HOST:PORT [--legacy-timeout-ms 2000] [--grace-ms 5000]
//     [--lease-ms N] [--recovery-interval-ms 1000] [--mode observe|enforce] and the other once::service
//     flags (docs/http.md)
#include <cstdio>

#include <CLI/CLI.hpp>

#include <once/service/service.hpp>

#include "facade_routes.hpp"

int main(int argc, char** argv) {
  CLI::App app{"legacy-facade-service: transfers booked exactly once on a legacy core that is not idempotent"};
  once::service::options options{.name = "legacy-facade-service"};
  legacy_facade::service::facade_options facade;
  once::service::add_options(app, options);
  legacy_facade::service::add_facade_options(app, facade);
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
  if (auto const problem = legacy_facade::service::check(facade)) {
    std::fprintf(stderr, "legacy-facade-service: %s\n", problem->c_str());
    return 2;
  }
  return once::service::run(options,
                            [&facade](once::service::host& host) { legacy_facade::service::add_routes(host, facade); });
}
