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

namespace once_tests {
namespace {

using once::domain::decode_json;

TEST(DecodingJson, SkipsUnknownMembersWhateverTheyHold) {
  auto const decoded = decode_json<top_up>(
      R"({"trace":{"account":"X","amount":{"deep":[1,{"amount":2}]}},"account":"A","extra":[[],{}],"amount":5})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->account, "A");
  EXPECT_EQ(decoded->amount, 5);
}

TEST(DecodingJson, ReadsMapsAndOptionalsAndNestedLists) {
  auto const decoded = decode_json<place_order>(
      R"({"order_id":"O","customer":"C","gift":true,"total":9,"note":"hi",
          "attributes":{"b":"2","a":"1"},"lines":[{"sku":"S","quantity":3}]})");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(decoded->note, "hi");
  EXPECT_EQ(decoded->attributes.at("a"), "1");
  ASSERT_EQ(decoded->lines.size(), 1U);
  EXPECT_EQ(decoded->lines[0].quantity, 3);
}

TEST(DecodingJson, NamesAMissingMemberInsideAListElement) {
  auto const decoded = decode_json<place_order>(
      R"({"order_id":"O","customer":"C","gift":true,"total":9,"attributes":{},"lines":[{"sku":"S"}]})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "lines[0].quantity: is required");
}

TEST(DecodingJson, RefusesNullForARequiredMemberAndForTheDocument) {
  auto const member = decode_json<top_up>(R"({"account":null,"amount":1})");
  ASSERT_FALSE(member.has_value());
  EXPECT_EQ(member.error().message(), "account: is required");
  auto const document = decode_json<top_up>("null");
  ASSERT_FALSE(document.has_value());
  EXPECT_EQ(document.error().message(), "expected an object");
}

TEST(DecodingJson, RefusesAnObjectWhereAScalarBelongs) {
  auto const decoded = decode_json<top_up>(R"({"account":{"id":"A"},"amount":1})");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "account: expected a string");
}

TEST(DecodingJson, TextAndDocumentPathsAgree) {
  for (std::string_view text : {R"({"account":"A","amount":5})", R"({"account":"A"})", R"({"account":1,"amount":5})",
                                R"({"account":"A","amount":-1.5})", R"({"account":"A","amount":5,"x":{"y":[]}})"}) {
    auto const from_text = decode_json<top_up>(text);
    auto const from_document = once::domain::decode_json_value<top_up>(nlohmann::json::parse(text));
    ASSERT_EQ(from_text.has_value(), from_document.has_value()) << text;
    if (!from_text.has_value()) {
      EXPECT_EQ(from_text.error().message(), from_document.error().message()) << text;
    }
  }
}

}  // namespace
}  // namespace once_tests
