// Amounts are integer minor units with their currency: no floating point.
#pragma once

#include <cstdint>
#include <string>

#include <boost/hana/define_struct.hpp>

namespace payments::domain {

struct money {
  BOOST_HANA_DEFINE_STRUCT(money, (std::int64_t, value),  // minor units: cents for EUR
                           (std::string, currency));
  friend bool operator==(money const&, money const&) = default;
};

}  // namespace payments::domain
