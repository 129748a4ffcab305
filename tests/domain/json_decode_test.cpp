#include <once/domain/json_decode.hpp>

#include <gtest/gtest.h>

#include <once/domain/canonical_json.hpp>

#include "support/sample_types.hpp"

namespace once_tests {
namespace {

using once::domain::decode_json;

TEST(DecodingJson, RoundTripsTheCanonicalForm) {
  auto const text = once::domain::canonical_json(sample_order());
  auto const decoded = decode_json<place_order>(text);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(once::domain::canonical_json(*decoded), text);
}

TEST(DecodingJson, NamesAMissingRequiredField) {
  auto const decoded = decode_json<top_up>(R"({"account":"A"})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().field, "amount");
  EXPECT_EQ(decoded.error().problem, "is required");
}

TEST(DecodingJson, NamesANestedFieldWithItsPathAndIndex) {
  auto const decoded = decode_json<place_order>(
      R"({"order_id":"O","customer":"C","gift":false,"total":1,"attributes":{},
          "lines":[{"sku":"A","quantity":1},{"sku":7,"quantity":1}]})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "lines[1].sku: expected a string");
}

TEST(DecodingJson, RefusesAFractionForAnIntegerField) {
  auto const decoded = decode_json<top_up>(R"({"account":"A","amount":2.5})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "amount: expected an integer");
}

TEST(DecodingJson, RefusesAnIntegerOutOfTheFieldsRange) {
  auto const decoded = decode_json<order_line>(R"({"sku":"A","quantity":1099511627776})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "quantity: integer out of range");
}

TEST(DecodingJson, ReportsMalformedJsonWithoutThrowing) {
  auto const decoded = decode_json<top_up>(R"({"account": "A", )");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().problem, "malformed JSON");
}

TEST(DecodingJson, RefusesANonObjectDocument) {
  auto const decoded = decode_json<top_up>("[1,2]");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().problem, "expected an object");
}

TEST(DecodingJson, IgnoresUnknownMembers) {
  auto const decoded = decode_json<top_up>(R"({"account":"A","amount":5,"trace_id":"xyz"})");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->amount, 5);
}

TEST(DecodingJson, TreatsNullAsAbsentForAnOptionalField) {
  auto const decoded = decode_json<place_order>(
      R"({"order_id":"O","customer":"C","gift":true,"total":1,"attributes":{},"lines":[],"note":null})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_FALSE(decoded->note.has_value());
}

}  // namespace
}  // namespace once_tests
