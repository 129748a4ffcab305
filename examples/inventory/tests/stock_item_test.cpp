// The stock item without a database: what each command decides, and the
// repeat policy of every command checked by the framework's fixture.
#include <inventory/domain/stock_item.hpp>

#include <gtest/gtest.h>

#include <once/testing/repeat_semantics.hpp>
#include <once/testing/scenario.hpp>

namespace inventory::domain {
namespace {

stock_item_registered const registered{"W-1", "SKU-1", 5};
shipment_received const received{"RCV-1", 10};
stock_reserved const reserved{"O-1", "L-1", 4};

TEST(StockItemRepeatSemantics, HoldForEveryCommandAsDeclared) {
  once::testing::repeat_semantics<stock_item>()
      .sample(register_stock_item{"W-1", "SKU-1", 5})
      .sample(receive_shipment{"W-1", "SKU-1", "RCV-1", 10}, {registered})
      .sample(reserve_stock{"O-1", "L-1", "W-1", "SKU-1", 4}, {registered, received})
      .sample(reserve_stock{"O-1", "L-2", "W-1", "SKU-1", 40}, {registered, received})  // refused, replayed
      .sample(release_reservation{"O-1", "L-1", "W-1", "SKU-1"}, {registered, received, reserved})
      .sample(set_reorder_level{"W-1", "SKU-1", 8}, {registered})
      .sample(adjust_stock{"W-1", "SKU-1", "ADJ-1", -3, "broken in transit"}, {registered, received})
      .verify();
}

TEST(ReservingStock, HoldsUnitsOfWhatIsAvailable) {
  once::testing::scenario<stock_item>()
      .given({registered, received})
      .when(reserve_stock{"O-1", "L-1", "W-1", "SKU-1", 4})
      .then({stock_reserved{"O-1", "L-1", 4}});
}

TEST(ReservingStock, IsRefusedBeyondWhatIsAvailable) {
  once::testing::scenario<stock_item>()
      .given({registered, received, reserved})
      .when(reserve_stock{"O-2", "L-1", "W-1", "SKU-1", 7})
      .then_rejected("insufficient_stock");
}

TEST(ReleasingAReservation, GivesBackWhatTheLineHeld) {
  once::testing::scenario<stock_item>()
      .given({registered, received, reserved})
      .when(release_reservation{"O-1", "L-1", "W-1", "SKU-1"})
      .then({reservation_released{"O-1", "L-1", 4}});
}

TEST(ReleasingAReservation, OfALineThatHoldsNoneIsRefused) {
  once::testing::scenario<stock_item>()
      .given({registered, received, reserved})
      .when(release_reservation{"O-2", "L-1", "W-1", "SKU-1"})
      .then_rejected("no_reservation");
}

TEST(AdjustingStock, IsRefusedBelowWhatIsReserved) {
  once::testing::scenario<stock_item>()
      .given({registered, received, reserved})
      .when(adjust_stock{"W-1", "SKU-1", "ADJ-1", -7, "count"})
      .then_rejected("insufficient_stock");
}

TEST(AdjustingStock, ChangesWhatIsOnHand) {
  once::testing::scenario<stock_item>()
      .given({registered, received})
      .when(adjust_stock{"W-1", "SKU-1", "ADJ-1", -3, "count"})
      .then({stock_adjusted{"ADJ-1", -3, std::string{"count"}}});
}

TEST(StockItemCommands, OnAnItemThatDoesNotExistAreRefused) {
  once::testing::scenario<stock_item>()
      .when(receive_shipment{"W-1", "SKU-9", "RCV-1", 1})
      .then_rejected("item_not_found");
}

}  // namespace
}  // namespace inventory::domain
