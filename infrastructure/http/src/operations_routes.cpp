#include <once/http/operations_routes.hpp>

#include <utility>

namespace once::http {
namespace {

response json(int status, std::string body) {
  return response{status, {{"Content-Type", "application/json"}}, std::move(body), {}};
}

}  // namespace

void add_operations_routes(router& routes, operations probes) {
  routes.add("GET", "/healthz", [](request const&) { return json(200, R"({"status":"ok"})"); });
  routes.add("GET", "/readyz", [ready = std::move(probes.ready)](request const&) {
    if (!ready || ready()) return json(200, R"({"status":"ready"})");
    auto unready = json(503, R"({"status":"store unreachable"})");
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
