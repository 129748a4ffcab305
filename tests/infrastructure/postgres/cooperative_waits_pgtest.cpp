// The store's waits under a server that runs handlers as coroutines: with
// one I/O thread, a handler waiting for PostgreSQL's answer or for a pooled
// connection suspends, and the thread answers other requests meanwhile. On a
// thread that blocked instead, the second request would not even be read
// until the first one's wait ended.
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>

#include <gtest/gtest.h>

#include <once/application/waiting.hpp>
#include <once/http/server.hpp>
#include <once/postgres/pg_command_store.hpp>

#include <once/testing/http_client.hpp>
#include "application/command_store_contract.hpp"
#include "support/pg_under_test.hpp"

namespace once_tests {
namespace {

using once::application::claim_result;
using once::http::request;
using once::http::response;
using once::testing::http_client;
using once::testing::pg_schema;
using namespace std::chrono_literals;

std::unique_ptr<once::http::server> serve_on_one_thread(once::http::router routes) {
  once::http::server_options options;
  options.port = 0;
  options.threads = 1;
  options.read_timeout = 30s;
  auto server = std::make_unique<once::http::server>(options, std::move(routes));
  EXPECT_TRUE(server->start().has_value());
  return server;
}

std::string outcome_of(once::application::result<claim_result> const& claimed) {
  if (!claimed) return "error: " + claimed.error().message;
  switch (claimed->state) {
    case claim_result::status::claimed:
      return "claimed";
    case claim_result::status::repeat:
      return "repeat";
    case claim_result::status::in_flight:
      return "in flight";
  }
  return "?";
}

TEST(CooperativeWaitsOnPostgres, AHandlerWaitingForAnInFlightTwinLetsTheThreadAnswerOthers) {
  pg_schema schema;
  auto holder = once::postgres::pg_command_store::open(schema.options(1));
  auto served = once::postgres::pg_command_store::open(schema.options(2));
  ASSERT_TRUE(holder.has_value() && served.has_value());
  auto const claim = contract_claim("in-flight-while-others-are-answered");
  auto held = (*holder)->claim(claim, contract_waits());
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->state, claim_result::status::claimed);

  std::promise<void> twin_sent;
  once::http::router routes;
  routes.add("GET", "/twin", [&](request const&) {
    once::application::claim_waits patient;
    patient.in_flight = 20s;
    patient.aggregate = 20s;
    twin_sent.set_value();  // the statement goes out next, before the thread reads another request
    return response{200, {}, outcome_of((*served)->claim(claim, patient))};
  });
  routes.add("GET", "/find", [&](request const&) {
    auto const found = (*served)->find(contract_claim("another-intent").intent);
    return response{found.has_value() ? 200 : 503, {}, found.has_value() && !found->has_value() ? "absent" : "?"};
  });
  auto server = serve_on_one_thread(std::move(routes));

  auto twin = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/twin"); });
  ASSERT_EQ(twin_sent.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(http_client{server->port()}.send("GET", "/find").body, "absent");
  EXPECT_NE(twin.wait_for(0s), std::future_status::ready) << "the twin's wait ended before its first attempt committed";

  ASSERT_TRUE(held->claim->commit(contract_effects(claim, 0)).has_value());
  EXPECT_EQ(twin.get().body, "repeat");
  server->stop();
}

TEST(CooperativeWaitsOnPostgres, AHandlerWaitingForTheOnlyPooledConnectionSuspendsUntilItIsGivenBack) {
  pg_schema schema;
  auto options = schema.options(1);
  options.acquire_timeout = 20s;
  auto store = once::postgres::pg_command_store::open(options);
  ASSERT_TRUE(store.has_value());

  std::promise<void> holding;
  std::promise<void> finding;
  std::mutex mutex;
  std::shared_ptr<once::application::wake_signal> release;
  once::http::router routes;
  routes.add("GET", "/hold", [&](request const&) {
    // A serialising claim keeps the pool's only connection until it is dropped.
    auto held = (*store)->claim(contract_claim("holds-the-connection"), contract_waits());
    {
      std::lock_guard lock(mutex);
      release = once::application::current_waiting().new_signal();
    }
    holding.set_value();
    bool const released = release->wait_until(once::application::wait_clock::now() + 20s);
    return response{200, {}, outcome_of(held) + (released ? ", released" : ", never released")};
  });
  routes.add("GET", "/find", [&](request const&) {
    finding.set_value();  // it waits for the pool next, before the thread reads another request
    auto const found = (*store)->find(contract_claim("another-intent").intent);
    return response{found.has_value() ? 200 : 503, {}, found.has_value() ? "answered" : found.error().message};
  });
  routes.add("GET", "/release", [&](request const&) {
    std::lock_guard lock(mutex);
    release->notify();
    return response{200, {}, "notified"};
  });
  auto server = serve_on_one_thread(std::move(routes));

  auto hold = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/hold"); });
  ASSERT_EQ(holding.get_future().wait_for(10s), std::future_status::ready);
  auto find = std::async(std::launch::async, [&] { return http_client{server->port()}.send("GET", "/find"); });
  ASSERT_EQ(finding.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(http_client{server->port()}.send("GET", "/release").body, "notified");
  EXPECT_EQ(hold.get().body, "claimed, released");
  auto const found = find.get();
  EXPECT_EQ(found.status, 200) << found.body;
  EXPECT_EQ(found.body, "answered");
  server->stop();
}

}  // namespace
}  // namespace once_tests
