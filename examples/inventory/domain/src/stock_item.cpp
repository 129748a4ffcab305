#include <inventory/domain/stock_item.hpp>

#include <algorithm>

namespace inventory::domain {

using once::domain::emit;
using once::domain::reject;

namespace {

std::string line_of(std::string const& order_id, std::string const& line_id) {
  return order_id + '/' + line_id;
}

once::domain::rejection insufficient_stock(stock_item_state const& item) {
  return reject("insufficient_stock", "available " + std::to_string(item.on_hand - item.reserved) + " of " + item.sku);
}

}  // namespace

bool is_valid_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  });
}

std::string item_id(std::string const& warehouse_id, std::string const& sku) {
  return warehouse_id + '/' + sku;
}

item_view view_of(stock_item_state const& item) {
  return {item.warehouse_id, item.sku, item.on_hand, item.reserved, item.on_hand - item.reserved, item.reorder_level};
}

once::domain::rejection item_not_found(std::string const& warehouse_id, std::string const& sku) {
  return reject("item_not_found", "no stock item " + sku + " in warehouse " + warehouse_id);
}

stock_item::decision<> stock_item::decide(current const&, register_stock_item const& c, context const&) {
  if (c.reorder_level < 0) return reject("invalid_reorder_level", "a reorder level is not negative");
  return emit(stock_item_registered{c.warehouse_id, c.sku, c.reorder_level});
}

stock_item::decision<> stock_item::decide(current const&, receive_shipment const& c, context const&) {
  if (c.quantity <= 0) return reject("invalid_quantity", "quantities are positive");
  return emit(shipment_received{c.receipt_id, c.quantity});
}

stock_item::decision<> stock_item::decide(current const& item, reserve_stock const& c, context const&) {
  if (c.quantity <= 0) return reject("invalid_quantity", "quantities are positive");
  if (c.quantity > item->on_hand - item->reserved) return insufficient_stock(*item);
  return emit(stock_reserved{c.order_id, c.line_id, c.quantity});
}

stock_item::decision<> stock_item::decide(current const& item, release_reservation const& c, context const&) {
  auto const held = item->reservations.find(line_of(c.order_id, c.line_id));
  if (held == item->reservations.end()) {
    return reject("no_reservation", "order line " + c.order_id + '/' + c.line_id + " holds no reservation of " + c.sku);
  }
  return emit(reservation_released{c.order_id, c.line_id, held->second});
}

stock_item::decision<> stock_item::decide(current const&, set_reorder_level const& c, context const&) {
  if (c.reorder_level < 0) return reject("invalid_reorder_level", "a reorder level is not negative");
  return emit(reorder_level_set{c.reorder_level});
}

stock_item::decision<> stock_item::decide(current const& item, adjust_stock const& c, context const&) {
  if (c.delta == 0) return reject("invalid_delta", "a delta is not zero");
  auto const after = item->on_hand + c.delta;
  if (after < 0 || after < item->reserved) return insufficient_stock(*item);
  return emit(stock_adjusted{c.adjustment_id, c.delta, c.reason});
}

void stock_item::apply(stock_item_state& s, stock_item_registered const& e) {
  s.warehouse_id = e.warehouse_id;
  s.sku = e.sku;
  s.reorder_level = e.reorder_level;
}

void stock_item::apply(stock_item_state& s, shipment_received const& e) {
  s.on_hand += e.quantity;
}

void stock_item::apply(stock_item_state& s, stock_reserved const& e) {
  s.reserved += e.quantity;
  s.reservations[line_of(e.order_id, e.line_id)] = e.quantity;
}

void stock_item::apply(stock_item_state& s, reservation_released const& e) {
  s.reserved -= e.quantity;
  s.reservations.erase(line_of(e.order_id, e.line_id));
}

void stock_item::apply(stock_item_state& s, reorder_level_set const& e) {
  s.reorder_level = e.reorder_level;
}

void stock_item::apply(stock_item_state& s, stock_adjusted const& e) {
  s.on_hand += e.delta;
}

}  // namespace inventory::domain
