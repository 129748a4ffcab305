#include <once/http/operations_routes.hpp>

#include <utility>

#include <once/http/responses.hpp>

namespace once::http {

void add_operations_routes(router& routes, operations probes) {
  routes.add("GET", "/healthz", [](request const&) { return json_response(200, R"({"status":"ok"})"); });
  routes.add("GET", "/readyz", [ready = std::move(probes.ready)](request const&) {
    if (!ready || ready()) return json_response(200, R"({"status":"ready"})");
    auto unready = json_response(503, R"({"status":"store unreachable"})");
    unready.headers.emplace_back("Retry-After", "1");
    return unready;
  });
  if (probes.metrics_text) {
    routes.add("GET", "/metrics", [text = std::move(probes.metrics_text)](request const&) {
      return response{200, {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}}, text(), {}};
    });
  }
}

}  // namespace once::http
