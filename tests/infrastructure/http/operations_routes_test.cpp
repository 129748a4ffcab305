// /healthz, /readyz and /metrics over real sockets: served without a token.
#include <once/http/operations_routes.hpp>

#include <atomic>
#include <chrono>
#include <future>

#include <gtest/gtest.h>

#include <once/testing/http_client.hpp>

namespace once_tests {
namespace {

using once::testing::http_answer;
using once::testing::http_client;
using namespace std::chrono_literals;

class OperationsRoutes : public ::testing::Test {
 protected:
  void start(once::http::operations probes) {
    once::http::router routes;
    once::http::add_operations_routes(routes, std::move(probes));
    once::http::server_options options;
    options.port = 0;
    server = std::make_unique<once::http::server>(options, std::move(routes));
    ASSERT_TRUE(server->start().has_value());
  }
  http_answer get(std::string const& path) { return http_client{server->port()}.send("GET", path); }

  std::atomic<bool> store_reachable{true};
  std::unique_ptr<once::http::server> server;
};

TEST_F(OperationsRoutes, HealthzAnswers200WhileTheProcessServes) {
  start({});
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(OperationsRoutes, ReadyzFollowsTheStoresReachability) {
  start({[this] { return store_reachable.load(); }, {}});
  EXPECT_EQ(get("/readyz").status, 200);
  store_reachable = false;
  auto const unready = get("/readyz");
  EXPECT_EQ(unready.status, 503);
  EXPECT_EQ(unready.headers["retry-after"], "1");
  store_reachable = true;
  EXPECT_EQ(get("/readyz").status, 200);
}

// A check that takes longer than ready_timeout (connecting to a frozen
// database) does not hold the probe: it is not ready, within the bound.
TEST_F(OperationsRoutes, ReadyzAnswersWithinItsTimeoutWhenTheCheckHangs) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  start({[released] {
           released.wait();
           return true;
         },
         {},
         200ms});
  auto const started = std::chrono::steady_clock::now();
  auto const unready = get("/readyz");
  EXPECT_EQ(unready.status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(get("/healthz").status, 200);
  release.set_value();
  EXPECT_EQ(get("/readyz").status, 200);
  server->stop();
  server.reset();  // the routes and their check thread go before `release`
}

TEST_F(OperationsRoutes, MetricsServesThePrometheusTextFormat) {
  start({{}, [] { return std::string{"# TYPE x counter\nx 1\n"}; }});
  auto const answer = get("/metrics");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(answer.body, "# TYPE x counter\nx 1\n");
}

TEST_F(OperationsRoutes, WithoutAMetricsSourceThereIsNoMetricsRoute) {
  start({});
  EXPECT_EQ(get("/metrics").status, 404);
}

}  // namespace
}  // namespace once_tests
