// claims-service: claims over HTTP, their events on Kafka, every intent exactly once.
//
//   claims-service --listen 127.0.0.1:8080 --store postgres|memory --database-url URL
//     --auth-token TOKEN:TENANT [...] [--brokers HOST:PORT[,...]] [--no-relay] [--threads N] [--schema NAME]
//     [--no-migrate] and the other once::service flags (docs/http.md)
//
// With --brokers (and the PostgreSQL store) the outbox relay runs in this
// process and publishes to claims.events (6 partitions, created if missing),
// unless --no-relay. It serves HTTP while the brokers are away.
#include <CLI/CLI.hpp>

#include <once/service/service.hpp>

#include "claims_routes.hpp"

int main(int argc, char** argv) {
  CLI::App app{"claims-service: claims over HTTP, their events on Kafka, every intent exactly once"};
  once::service::options options{.name = "claims-service", .topics = {{"claims.events", 6}}};
  once::service::add_options(app, options);
  once::service::add_kafka_options(app, options);
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
  return once::service::run(options, claims::service::add_routes);
}
