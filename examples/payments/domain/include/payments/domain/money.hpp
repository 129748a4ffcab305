// Amounts are integer minor units with their currency: no floating point.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>

namespace payments::domain {

struct money {
  BOOST_HANA_DEFINE_STRUCT(money, (std::int64_t, value),  // minor units: cents for EUR
                           (std::string, currency));
  friend bool operator==(money const&, money const&) = default;
};

// An ISO 4217 code: three letters A-Z ("EUR"). The one statement of the rule,
// for the domain and for every adapter's request validation.
[[nodiscard]] constexpr bool is_currency_code(std::string_view code) noexcept {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Payment descriptions are at most this many bytes.
inline constexpr std::size_t max_description_length = 500;

}  // namespace payments::domain
