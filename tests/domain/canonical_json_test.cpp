#include <once/domain/canonical_json.hpp>

#include <gtest/gtest.h>

#include "support/sample_types.hpp"

namespace once_tests {
namespace {

using once::domain::canonical_json;

TEST(CanonicalJson, SortsMembersByNameWhateverTheDeclarationOrder) {
  EXPECT_EQ(canonical_json(sample_order()),
            R"({"attributes":{"channel":"web"},"customer":"C-9","gift":false,)"
            R"("lines":[{"quantity":2,"sku":"SKU-1"},{"quantity":1,"sku":"SKU-2"}],"order_id":"O-1","total":4200})");
}

TEST(CanonicalJson, OmitsAnAbsentOptionalSoNullAndMissingEncodeAlike) {
  auto order = sample_order();
  EXPECT_EQ(canonical_json(order).find("note"), std::string::npos);
  order.note = "leave at the door";
  EXPECT_NE(canonical_json(order).find(R"("note":"leave at the door")"), std::string::npos);
}

TEST(CanonicalJson, EscapesQuotesBackslashesAndControlCharacters) {
  auto order = sample_order();
  order.customer = "a\"b\\c\nd\x01";
  EXPECT_NE(canonical_json(order).find(R"("customer":"a\"b\\c\nd\u0001")"), std::string::npos);
}

TEST(CanonicalJson, KeepsNonAsciiUtf8AsItIs) {
  auto order = sample_order();
  order.customer = "Zoë Ångström";
  EXPECT_NE(canonical_json(order).find("\"customer\":\"Zoë Ångström\""), std::string::npos);
}

TEST(CanonicalJson, WritesExtremeIntegersExactly) {
  top_up const big{"A", std::numeric_limits<std::int64_t>::min()};
  EXPECT_EQ(canonical_json(big), R"({"account":"A","amount":-9223372036854775808})");
}

TEST(CanonicalJson, IsTheSameBytesForEqualValues) {
  EXPECT_EQ(canonical_json(sample_order()), canonical_json(sample_order()));
}

}  // namespace
}  // namespace once_tests
