/// \file
/// The routes an operator and an orchestrator use, served without a token:
///   GET /healthz  200 while the process serves requests; never waits on the store
///   GET /readyz   200 when the store can be reached now, else 503 + Retry-After;
///                 answered within ready_timeout: the check runs on a thread of its
///                 own, and one that has not finished by then counts as not ready
///   GET /metrics  the Prometheus text exposition format (0.0.4)
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <once/http/server.hpp>

namespace once::http {

struct operations {
  std::function<bool()> ready = [] { return true; };
  std::function<std::string()> metrics_text;  // none: no /metrics route
  std::chrono::milliseconds ready_timeout{1000};
};

void add_operations_routes(router& routes, operations probes);

}  // namespace once::http
