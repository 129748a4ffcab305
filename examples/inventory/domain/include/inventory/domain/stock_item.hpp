// The stock item aggregate: one per (warehouse, SKU). What each command
// means when it arrives twice is the business's answer, written down in the
// command table below:
//
//   RegisterStockItem   client key     return_prior  registering is creating: a retry gets the same item
//   ReceiveShipment     receipt id     reject_conflict  a receipt booked twice is an operator's problem
//   ReserveStock        the order line return_prior  a repeat never reserves twice
//   ReleaseReservation  the order line no_op         releasing twice is harmless
//   SetReorderLevel     client key     no_op         setting a level twice is setting it once
//   AdjustStock         adjustment id  return_prior  a delta made safe by its own id
//
// Events go to inventory.events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/hana/define_struct.hpp>

#include <once/domain/aggregate.hpp>

namespace inventory::domain {

// Warehouse ids, SKUs, order and line ids, receipt and adjustment ids: 1 to 64 characters of A-Z a-z 0-9 _ - .
[[nodiscard]] bool is_valid_id(std::string_view id) noexcept;
inline constexpr std::size_t max_reason_length = 200;

// The aggregate id of an item: warehouse and SKU joined by '/', which neither may hold.
[[nodiscard]] std::string item_id(std::string const& warehouse_id, std::string const& sku);

// --- commands ---

struct register_stock_item {
  static constexpr std::string_view type_name = "inventory.register_stock_item";
  BOOST_HANA_DEFINE_STRUCT(register_stock_item, (std::string, warehouse_id), (std::string, sku),
                           (std::int64_t, reorder_level));
};
struct receive_shipment {
  static constexpr std::string_view type_name = "inventory.receive_shipment";
  BOOST_HANA_DEFINE_STRUCT(receive_shipment, (std::string, warehouse_id), (std::string, sku), (std::string, receipt_id),
                           (std::int64_t, quantity));
};
struct reserve_stock {
  static constexpr std::string_view type_name = "inventory.reserve_stock";
  BOOST_HANA_DEFINE_STRUCT(reserve_stock, (std::string, order_id), (std::string, line_id), (std::string, warehouse_id),
                           (std::string, sku), (std::int64_t, quantity));
};
struct release_reservation {
  static constexpr std::string_view type_name = "inventory.release_reservation";
  BOOST_HANA_DEFINE_STRUCT(release_reservation, (std::string, order_id), (std::string, line_id),
                           (std::string, warehouse_id), (std::string, sku));
};
struct set_reorder_level {
  static constexpr std::string_view type_name = "inventory.set_reorder_level";
  BOOST_HANA_DEFINE_STRUCT(set_reorder_level, (std::string, warehouse_id), (std::string, sku),
                           (std::int64_t, reorder_level));
};
struct adjust_stock {
  static constexpr std::string_view type_name = "inventory.adjust_stock";
  BOOST_HANA_DEFINE_STRUCT(adjust_stock, (std::string, warehouse_id), (std::string, sku), (std::string, adjustment_id),
                           (std::int64_t, delta), (std::optional<std::string>, reason));  // at most max_reason_length
};

// --- events ---

struct stock_item_registered {
  static constexpr std::string_view type_name = "StockItemRegistered";
  BOOST_HANA_DEFINE_STRUCT(stock_item_registered, (std::string, warehouse_id), (std::string, sku),
                           (std::int64_t, reorder_level));
};
struct shipment_received {
  static constexpr std::string_view type_name = "ShipmentReceived";
  BOOST_HANA_DEFINE_STRUCT(shipment_received, (std::string, receipt_id), (std::int64_t, quantity));
};
struct stock_reserved {
  static constexpr std::string_view type_name = "StockReserved";
  BOOST_HANA_DEFINE_STRUCT(stock_reserved, (std::string, order_id), (std::string, line_id), (std::int64_t, quantity));
};
struct reservation_released {
  static constexpr std::string_view type_name = "ReservationReleased";
  BOOST_HANA_DEFINE_STRUCT(reservation_released, (std::string, order_id), (std::string, line_id),
                           (std::int64_t, quantity));
};
struct reorder_level_set {
  static constexpr std::string_view type_name = "ReorderLevelSet";
  BOOST_HANA_DEFINE_STRUCT(reorder_level_set, (std::int64_t, reorder_level));
};
struct stock_adjusted {
  static constexpr std::string_view type_name = "StockAdjusted";
  BOOST_HANA_DEFINE_STRUCT(stock_adjusted, (std::string, adjustment_id), (std::int64_t, delta),
                           (std::optional<std::string>, reason));
};

// --- state and views ---

struct stock_item_state {
  BOOST_HANA_DEFINE_STRUCT(stock_item_state, (std::string, warehouse_id), (std::string, sku), (std::int64_t, on_hand),
                           (std::int64_t, reserved), (std::int64_t, reorder_level),
                           // "order/line" -> quantity held for that order line
                           (std::map<std::string, std::int64_t>, reservations));
};

struct item_view {
  BOOST_HANA_DEFINE_STRUCT(item_view, (std::string, warehouse_id), (std::string, sku), (std::int64_t, on_hand),
                           (std::int64_t, reserved), (std::int64_t, available), (std::int64_t, reorder_level));
  friend bool operator==(item_view const&, item_view const&) = default;
};
[[nodiscard]] item_view view_of(stock_item_state const& item);

struct reservation_view {
  BOOST_HANA_DEFINE_STRUCT(reservation_view, (std::string, order_id), (std::string, line_id),
                           (std::string, warehouse_id), (std::string, sku), (std::int64_t, quantity),
                           (std::string, status));
  friend bool operator==(reservation_view const&, reservation_view const&) = default;
};

[[nodiscard]] once::domain::rejection item_not_found(std::string const& warehouse_id, std::string const& sku);

inline auto const target_item = [](auto const& c) { return item_id(c.warehouse_id, c.sku); };
inline auto const item_result = [](stock_item_state const& item, auto const&) { return view_of(item); };

// The scopes are the contract's words, used as written.
inline constexpr auto stock_item_commands = once::domain::command_table(
    once::domain::on<register_stock_item>()
        .key(once::domain::client_key)
        .target(target_item)
        .only_if_new([](register_stock_item const&) {
          return once::domain::reject("item_exists", "this stock item is registered already");
        })
        .result(item_result)
        .repeat(once::domain::return_prior),
    once::domain::on<receive_shipment>()
        .verbatim_scope([](receive_shipment const& c) { return "warehouse/" + c.warehouse_id + "/receipt"; })
        .key(&receive_shipment::receipt_id)
        .target(target_item)
        .only_if_exists([](receive_shipment const& c) { return item_not_found(c.warehouse_id, c.sku); })
        .result(item_result)
        .repeat(once::domain::reject_conflict),
    once::domain::on<reserve_stock>()
        .verbatim_scope(
            [](reserve_stock const& c) { return "order/" + c.order_id + "/line/" + c.line_id + "/reservation"; })
        .key(&reserve_stock::line_id)
        .target(target_item)
        .only_if_exists([](reserve_stock const& c) { return item_not_found(c.warehouse_id, c.sku); })
        .result([](stock_item_state const&, reserve_stock const& c) {
          return reservation_view{c.order_id, c.line_id, c.warehouse_id, c.sku, c.quantity, "reserved"};
        })
        .repeat(once::domain::return_prior),
    once::domain::on<release_reservation>()
        .verbatim_scope(
            [](release_reservation const& c) { return "order/" + c.order_id + "/line/" + c.line_id + "/release"; })
        .key(&release_reservation::line_id)
        .target(target_item)
        .only_if_exists([](release_reservation const& c) { return item_not_found(c.warehouse_id, c.sku); })
        .current(item_result)
        .repeat(once::domain::no_op),
    once::domain::on<set_reorder_level>()
        .key(once::domain::client_key)
        .target(target_item)
        .only_if_exists([](set_reorder_level const& c) { return item_not_found(c.warehouse_id, c.sku); })
        .current(item_result)
        .repeat(once::domain::no_op),
    once::domain::on<adjust_stock>()
        .scope(target_item)
        .key(&adjust_stock::adjustment_id)
        .target(target_item)
        .only_if_exists([](adjust_stock const& c) { return item_not_found(c.warehouse_id, c.sku); })
        .result(item_result)
        .repeat(once::domain::return_prior));

using stock_item_event = std::variant<stock_item_registered, shipment_received, stock_reserved, reservation_released,
                                      reorder_level_set, stock_adjusted>;

struct stock_item : once::domain::aggregate_types<stock_item_state, stock_item_event> {
  static constexpr std::string_view type_name = "inventory.stock_item";
  static constexpr std::string_view topic = "inventory.events";
  static constexpr auto const& commands = stock_item_commands;

  static decision<> decide(current const&, register_stock_item const&, context const&);
  static decision<> decide(current const&, receive_shipment const&, context const&);
  static decision<> decide(current const&, reserve_stock const&, context const&);
  static decision<> decide(current const&, release_reservation const&, context const&);
  static decision<> decide(current const&, set_reorder_level const&, context const&);
  static decision<> decide(current const&, adjust_stock const&, context const&);

  static void apply(stock_item_state&, stock_item_registered const&);
  static void apply(stock_item_state&, shipment_received const&);
  static void apply(stock_item_state&, stock_reserved const&);
  static void apply(stock_item_state&, reservation_released const&);
  static void apply(stock_item_state&, reorder_level_set const&);
  static void apply(stock_item_state&, stock_adjusted const&);
};

}  // namespace inventory::domain
