// inventory-service: stock items per warehouse and SKU over HTTP, every intent exactly once.
//
//   inventory-service --listen 127.0.0.1:8080 --store postgres|memory --database-url URL
//     --auth-token TOKEN:TENANT [...] [--brokers HOST:PORT[,...]] and the other once::service flags (docs/http.md)
#include <CLI/CLI.hpp>

#include <once/service/service.hpp>

#include "inventory_routes.hpp"

int main(int argc, char** argv) {
  CLI::App app{"inventory-service: stock items per warehouse and SKU, every intent exactly once"};
  once::service::options options{.name = "inventory-service", .topics = {{"inventory.events", 6}}};
  once::service::add_options(app, options);
  once::service::add_kafka_options(app, options);
  if (auto const exit_code = once::service::parse_command_line(app, argc, argv)) return *exit_code;
  return once::service::run(options, inventory::service::add_routes);
}
