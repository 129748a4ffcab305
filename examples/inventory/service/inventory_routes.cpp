#include "inventory_routes.hpp"

#include <map>
#include <optional>
#include <string>

#include <once/domain/canonical_json.hpp>
#include <once/domain/json_decode.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/service/service.hpp>

#include <inventory/domain/stock_item.hpp>

namespace inventory::service {
namespace {

using namespace inventory::domain;
using once::domain::decode_error;
using once::http::problem_kind;
using once::http::problem_response;
using once::http::request;
using once::http::response;

// Request validation: nothing is claimed or stored for an invalid request.
std::optional<decode_error> check_id(std::string const& id, std::string const& field) {
  if (!is_valid_id(id)) return decode_error{field, "must be 1-64 characters of A-Z a-z 0-9 _ - ."};
  return std::nullopt;
}
std::optional<decode_error> check_item(std::string const& warehouse_id, std::string const& sku) {
  if (auto bad = check_id(warehouse_id, "warehouse_id")) return bad;
  return check_id(sku, "sku");
}
std::optional<decode_error> check_quantity(std::int64_t quantity) {
  if (quantity <= 0) return decode_error{"quantity", "must be a positive integer"};
  return std::nullopt;
}
std::optional<decode_error> check_reorder_level(std::int64_t level) {
  if (level < 0) return decode_error{"reorder_level", "must be a non-negative integer"};
  return std::nullopt;
}

// Where a rejection code leads, over HTTP.
std::map<std::string, int, std::less<>> const rejection_statuses{
    {"item_exists", 409}, {"item_not_found", 404}, {"insufficient_stock", 409}, {"no_reservation", 404}};

std::string item_location(item_view const& view) {
  return "/v1/stock-items/" + view.warehouse_id + '/' + view.sku;
}

}  // namespace

void add_routes(once::service::host& host) {
  auto& routes = host.routes();
  auto& items = host.dispatcher<stock_item>();
  auto& store = host.commands();
  auto const& tokens = host.tokens();

  routes.add("POST", "/v1/stock-items",
             once::http::command_endpoint<stock_item, register_stock_item>(
                 items, tokens,
                 {.success_status = 201,
                  .location = item_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](register_stock_item const& c) -> std::optional<decode_error> {
                    if (auto bad = check_item(c.warehouse_id, c.sku)) return bad;
                    return check_reorder_level(c.reorder_level);
                  }}));
  routes.add("GET", "/v1/stock-items/{warehouse_id}/{sku}", [&store, &tokens](request const& incoming) {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant) return tenant.error();
    auto const& warehouse_id = incoming.params.at("warehouse_id");
    auto const& sku = incoming.params.at("sku");
    if (auto bad = check_item(warehouse_id, sku)) {
      return problem_response({problem_kind::invalid_request, bad->message(), bad->field});
    }
    auto const stored = store.read({std::string{stock_item::type_name}, item_id(warehouse_id, sku), *tenant});
    if (!stored) return once::http::error_response(stored.error());
    if (!stored->has_value()) return problem_response({problem_kind::not_found, "no stock item " + sku});
    auto const state = once::domain::decode_json<stock_item_state>((*stored)->state);
    if (!state) return problem_response({problem_kind::internal_error, ""});
    return once::http::json_response(200, once::domain::canonical_json(view_of(*state)));
  });
  routes.add("POST", "/v1/stock-items/{warehouse_id}/{sku}/receipts",
             once::http::command_endpoint<stock_item, receive_shipment>(
                 items, tokens,
                 {.success_status = 201,
                  .location = item_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](receive_shipment const& c) -> std::optional<decode_error> {
                    if (auto bad = check_item(c.warehouse_id, c.sku)) return bad;
                    if (auto bad = check_id(c.receipt_id, "receipt_id")) return bad;
                    return check_quantity(c.quantity);
                  }}));
  routes.add("POST", "/v1/orders/{order_id}/lines/{line_id}/reservation",
             once::http::command_endpoint<stock_item, reserve_stock>(
                 items, tokens,
                 {.success_status = 201,
                  .location =
                      [](reservation_view const& v) {
                        return "/v1/orders/" + v.order_id + "/lines/" + v.line_id + "/reservation";
                      },
                  .rejection_status = rejection_statuses,
                  .validate = [](reserve_stock const& c) -> std::optional<decode_error> {
                    if (auto bad = check_id(c.order_id, "order_id")) return bad;
                    if (auto bad = check_id(c.line_id, "line_id")) return bad;
                    if (auto bad = check_item(c.warehouse_id, c.sku)) return bad;
                    return check_quantity(c.quantity);
                  }}));
  routes.add("DELETE", "/v1/orders/{order_id}/lines/{line_id}/reservation",
             once::http::command_endpoint<stock_item, release_reservation>(
                 items, tokens,
                 {.success_status = 200,
                  .rejection_status = rejection_statuses,
                  .validate = [](release_reservation const& c) -> std::optional<decode_error> {
                    if (auto bad = check_id(c.order_id, "order_id")) return bad;
                    if (auto bad = check_id(c.line_id, "line_id")) return bad;
                    return check_item(c.warehouse_id, c.sku);
                  },
                  .from_path_and_query = true}));
  routes.add("PUT", "/v1/stock-items/{warehouse_id}/{sku}/reorder-level",
             once::http::command_endpoint<stock_item, set_reorder_level>(
                 items, tokens,
                 {.success_status = 200,
                  .rejection_status = rejection_statuses,
                  .validate = [](set_reorder_level const& c) -> std::optional<decode_error> {
                    if (auto bad = check_item(c.warehouse_id, c.sku)) return bad;
                    return check_reorder_level(c.reorder_level);
                  }}));
  routes.add("POST", "/v1/stock-items/{warehouse_id}/{sku}/adjustments",
             once::http::command_endpoint<stock_item, adjust_stock>(
                 items, tokens,
                 {.success_status = 201,
                  .location = item_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](adjust_stock const& c) -> std::optional<decode_error> {
                    if (auto bad = check_item(c.warehouse_id, c.sku)) return bad;
                    if (auto bad = check_id(c.adjustment_id, "adjustment_id")) return bad;
                    if (c.delta == 0) return decode_error{"delta", "must be a non-zero integer"};
                    if (c.reason.has_value() && c.reason->size() > max_reason_length) {
                      return decode_error{"reason", "is longer than 200 characters"};
                    }
                    return std::nullopt;
                  }}));
}

}  // namespace inventory::service
