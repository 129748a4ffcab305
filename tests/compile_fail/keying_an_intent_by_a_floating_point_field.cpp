// A key (or target, or scope) must be text or an integer: a floating-point
// field has no canonical text, and the compiler says so in a sentence.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>

#include <once/domain/command_table.hpp>

struct quote_price {
  static constexpr std::string_view type_name = "test.quote_price";
  BOOST_HANA_DEFINE_STRUCT(quote_price, (std::string, instrument), (std::int64_t, sequence), (double, price));
};

inline constexpr auto quotes = once::domain::command_table(once::domain::on<quote_price>()
#ifdef ONCE_EXPECT_COMPILE_ERROR
                                                               .key(&quote_price::price)
#else
                                                               .key(&quote_price::sequence)
#endif
                                                               .target(&quote_price::instrument)
                                                               .repeat(once::domain::return_prior));
