// inventory-service as a black box over real sockets, on PostgreSQL: every
// route's answer, first time and repeated, and reservations under contention.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/testing/http_client.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace inventory_tests {
namespace {

using nlohmann::json;

class InventoryService : public ::testing::Test {
 protected:
  InventoryService()
      : service(INVENTORY_SERVICE, {"--store", "postgres", "--database-url", schema.url(), "--schema", schema.name(),
                                    "--auth-token", "secret:shop-1", "--threads", "8"}) {}

  once::testing::http_answer send(std::string const& method, std::string const& target, json const& body = nullptr,
                                  std::string const& key = "") {
    std::vector<std::pair<std::string, std::string>> headers{{"authorization", "Bearer secret"}};
    if (!body.is_null()) headers.emplace_back("content-type", "application/json");
    if (!key.empty()) headers.emplace_back("idempotency-key", key);
    auto answer =
        once::testing::send_until_answered(service.port(), method, target, body.is_null() ? "" : body.dump(), headers);
    if (!answer) throw std::runtime_error("no answer to " + method + ' ' + target);
    return *answer;
  }
  json item(std::string const& warehouse, std::string const& sku) {
    return json::parse(send("GET", "/v1/stock-items/" + warehouse + '/' + sku).body);
  }
  void stock(std::string const& warehouse, std::string const& sku, std::int64_t units) {
    ASSERT_EQ(send("POST", "/v1/stock-items", {{"warehouse_id", warehouse}, {"sku", sku}, {"reorder_level", 2}},
                   "reg-" + warehouse + sku)
                  .status,
              201);
    ASSERT_EQ(send("POST", "/v1/stock-items/" + warehouse + '/' + sku + "/receipts",
                   {{"receipt_id", "RCV-" + sku}, {"quantity", units}})
                  .status,
              201);
  }

  once::testing::pg_schema schema;
  once::testing::service_process service;
};

TEST_F(InventoryService, EveryRouteAnswersAsTheContractSaysFirstTimeAndRepeated) {
  json const registration{{"warehouse_id", "W-1"}, {"sku", "SKU-1"}, {"reorder_level", 5}};
  auto const registered = send("POST", "/v1/stock-items", registration, "reg-1");
  EXPECT_EQ(registered.status, 201);
  EXPECT_EQ(std::string{registered.headers["Location"]}, "/v1/stock-items/W-1/SKU-1");
  EXPECT_EQ(json::parse(registered.body), (json{{"warehouse_id", "W-1"},
                                                {"sku", "SKU-1"},
                                                {"on_hand", 0},
                                                {"reserved", 0},
                                                {"available", 0},
                                                {"reorder_level", 5}}));
  EXPECT_EQ(send("POST", "/v1/stock-items", registration, "reg-1").headers["Idempotent-Replayed"], "true");
  auto const again = send("POST", "/v1/stock-items", registration, "reg-2");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::parse(again.body).at("code"), "item_exists");
  ASSERT_EQ(send("POST", "/v1/stock-items", {{"warehouse_id", "W-1"}, {"sku", "SKU-2"}, {"reorder_level", 0}}, "reg-3")
                .status,
            201);

  json const receipt{{"receipt_id", "RCV-1"}, {"quantity", 10}};
  auto const received = send("POST", "/v1/stock-items/W-1/SKU-1/receipts", receipt, "not, a key");
  EXPECT_EQ(received.status, 201);
  EXPECT_EQ(json::parse(received.body).at("on_hand"), 10);
  EXPECT_EQ(std::string{received.headers["Location"]}, "/v1/stock-items/W-1/SKU-1");
  auto const twice = send("POST", "/v1/stock-items/W-1/SKU-1/receipts", receipt);
  EXPECT_EQ(twice.status, 409);
  EXPECT_EQ(json::parse(twice.body).at("type"), "urn:once:problem:duplicate-request");
  EXPECT_EQ(send("POST", "/v1/stock-items/W-1/SKU-2/receipts", receipt).status, 422)
      << "the same receipt id for another SKU of the warehouse is the same intent with another payload";

  json const line{{"warehouse_id", "W-1"}, {"sku", "SKU-1"}, {"quantity", 4}};
  auto const reserved = send("POST", "/v1/orders/O-1/lines/L-1/reservation", line);
  EXPECT_EQ(reserved.status, 201);
  EXPECT_EQ(json::parse(reserved.body), (json{{"order_id", "O-1"},
                                              {"line_id", "L-1"},
                                              {"warehouse_id", "W-1"},
                                              {"sku", "SKU-1"},
                                              {"quantity", 4},
                                              {"status", "reserved"}}));
  EXPECT_EQ(std::string{reserved.headers["Location"]}, "/v1/orders/O-1/lines/L-1/reservation");
  EXPECT_EQ(send("POST", "/v1/orders/O-1/lines/L-1/reservation", line).headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(send("POST", "/v1/orders/O-2/lines/L-1/reservation", line).status, 201) << "another order's line";
  EXPECT_EQ(item("W-1", "SKU-1").at("available"), 2);

  auto const released = send("DELETE", "/v1/orders/O-1/lines/L-1/reservation?warehouse_id=W-1&sku=SKU-1");
  EXPECT_EQ(released.status, 200);
  EXPECT_EQ(json::parse(released.body).at("reserved"), 4);
  auto const released_again = send("DELETE", "/v1/orders/O-1/lines/L-1/reservation?warehouse_id=W-1&sku=SKU-1");
  EXPECT_EQ(released_again.status, 200);
  EXPECT_EQ(released_again.headers["Idempotent-Replayed"], "true");
  auto const nothing_held = send("DELETE", "/v1/orders/O-9/lines/L-9/reservation?warehouse_id=W-1&sku=SKU-1");
  EXPECT_EQ(nothing_held.status, 404);
  EXPECT_EQ(json::parse(nothing_held.body).at("code"), "no_reservation");
  EXPECT_EQ(send("DELETE", "/v1/orders/O-2/lines/L-1/reservation?warehouse_id=W-1&sku=SKU-2").status, 404)
      << "the query names another item than the line's reservation";
  EXPECT_EQ(json::parse(send("POST", "/v1/orders/O-1/lines/L-1/reservation", line).body).at("status"), "reserved")
      << "a reservation's repeat replays the first answer, even after the release";

  auto const level = send("PUT", "/v1/stock-items/W-1/SKU-1/reorder-level", {{"reorder_level", 8}}, "lvl-1");
  EXPECT_EQ(level.status, 200);
  EXPECT_EQ(json::parse(level.body).at("reorder_level"), 8);

  auto const too_much = send("POST", "/v1/stock-items/W-1/SKU-1/adjustments",
                             {{"adjustment_id", "ADJ-1"}, {"delta", -8}, {"reason", "count"}});
  EXPECT_EQ(too_much.status, 409);
  EXPECT_EQ(json::parse(too_much.body).at("code"), "insufficient_stock");
  auto const adjusted =
      send("POST", "/v1/stock-items/W-1/SKU-1/adjustments", {{"adjustment_id", "ADJ-2"}, {"delta", -2}});
  EXPECT_EQ(adjusted.status, 201);
  EXPECT_EQ(json::parse(adjusted.body).at("on_hand"), 8);

  auto const invalid = send("POST", "/v1/orders/O-3/lines/L-1/reservation",
                            {{"warehouse_id", "W-1"}, {"sku", "SKU-1"}, {"quantity", 0}});
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(json::parse(invalid.body).at("field"), "quantity");
  EXPECT_EQ(send("GET", "/v1/stock-items/W-1/NOPE").status, 404);
}

TEST_F(InventoryService, ThirtyTwoClientsReservingTheLastTenUnitsOnFortyLinesReserveExactlyTen) {
  stock("W-1", "SKU-1", 10);
  std::atomic<int> next{0};
  std::atomic<int> reserved{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 32; ++c) {
    clients.emplace_back([&] {
      for (int line = next++; line < 40; line = next++) {
        auto const answer = send("POST", "/v1/orders/O-" + std::to_string(line) + "/lines/L-1/reservation",
                                 {{"warehouse_id", "W-1"}, {"sku", "SKU-1"}, {"quantity", 1}});
        if (answer.status == 201) ++reserved;
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(reserved.load(), 10);
  auto const stocked = item("W-1", "SKU-1");
  EXPECT_EQ(stocked.at("reserved"), 10);
  EXPECT_EQ(stocked.at("available"), 0);
}

TEST_F(InventoryService, TheSameReservationFortyEightTimesAtOnceIsReservedOnce) {
  stock("W-1", "SKU-1", 10);
  std::vector<std::thread> clients;
  std::atomic<int> created{0};
  for (int c = 0; c < 48; ++c) {
    clients.emplace_back([&] {
      auto const answer = send("POST", "/v1/orders/O-1/lines/L-1/reservation",
                               {{"warehouse_id", "W-1"}, {"sku", "SKU-1"}, {"quantity", 3}});
      if (answer.status == 201) ++created;
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(created.load(), 48) << "each answered 201: the first, or its replay";
  EXPECT_EQ(item("W-1", "SKU-1").at("reserved"), 3);
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE event_type = 'StockReserved'"), 1);
}

}  // namespace
}  // namespace inventory_tests
