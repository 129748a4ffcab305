// Reflected types that exercise every JSON form the codec supports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/hana/define_struct.hpp>

namespace once_tests {

struct order_line {
  BOOST_HANA_DEFINE_STRUCT(order_line, (std::string, sku), (std::int32_t, quantity));
};

struct place_order {
  static constexpr std::string_view type_name = "test.place_order";
  BOOST_HANA_DEFINE_STRUCT(place_order, (std::string, order_id), (std::string, customer),
                           (std::vector<order_line>, lines), (std::optional<std::string>, note), (bool, gift),
                           (std::int64_t, total), (std::map<std::string, std::string>, attributes));
};

// Same fields as a deposit-like command, different type: fingerprints must differ.
struct top_up {
  static constexpr std::string_view type_name = "test.top_up";
  BOOST_HANA_DEFINE_STRUCT(top_up, (std::string, account), (std::int64_t, amount));
};
struct charge {
  static constexpr std::string_view type_name = "test.charge";
  BOOST_HANA_DEFINE_STRUCT(charge, (std::string, account), (std::int64_t, amount));
};

inline place_order sample_order() {
  return place_order{"O-1", "C-9", {{"SKU-1", 2}, {"SKU-2", 1}}, std::nullopt, false, 4200, {{"channel", "web"}}};
}

}  // namespace once_tests
