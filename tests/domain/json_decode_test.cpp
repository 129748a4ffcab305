#include <once/domain/json_decode.hpp>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/domain/canonical_json.hpp>
#include <once/domain/text.hpp>

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

TEST(DecodingJson, RefusesUnknownMembersWhenTheCallerSaysSoNamingThem) {
  auto const decoded = decode_json<place_order>(
      R"({"order_id":"O","customer":"C","gift":false,"total":1,"attributes":{},
          "lines":[{"sku":"A","quantity":1,"colour":"red"}]})",
      once::domain::unknown_members::refused);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "lines[0].colour: is not a known field");
}

TEST(DecodingJson, RefusesAMemberGivenTwiceWhateverItsValues) {
  auto const same = decode_json<top_up>(R"({"account":"A","amount":5,"amount":5})");
  ASSERT_FALSE(same.has_value());
  EXPECT_EQ(same.error().message(), "amount: appears twice");
  auto const nested = decode_json<order_line>(R"({"sku":"A","sku":"B","quantity":1})");
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().message(), "sku: appears twice");
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

// PostgreSQL's text and jsonb refuse NUL (and libpq cuts a string at it):
// such text is refused where it is decoded, naming the field.
TEST(DecodingJson, RefusesANulCharacterInAStringFieldNamingIt) {
  auto const text = std::string{R"({"account":"A-1 \u0000 zzz","amount":1})"};
  auto const streamed = decode_json<top_up>(text);
  ASSERT_FALSE(streamed.has_value());
  EXPECT_EQ(streamed.error().message(), "account: contains a NUL character");
  auto const from_tree = once::domain::decode_json_value<top_up>(nlohmann::json::parse(text));
  ASSERT_FALSE(from_tree.has_value());
  EXPECT_EQ(from_tree.error().message(), "account: contains a NUL character");
}

TEST(DecodingJson, RefusesANulCharacterInAMapKey) {
  auto const text = std::string{R"({"order_id":"O","customer":"C","gift":false,"total":1,"lines":[],
                                   "attributes":{"a\u0000b":"x"}})"};
  auto const streamed = decode_json<place_order>(text);
  ASSERT_FALSE(streamed.has_value());
  EXPECT_EQ(streamed.error().problem, "contains a NUL character");
  auto const from_tree = once::domain::decode_json_value<place_order>(nlohmann::json::parse(text));
  ASSERT_FALSE(from_tree.has_value());
  EXPECT_EQ(from_tree.error().problem, "contains a NUL character");
}

// A tree built in the program (path parameters merged into a body) may hold
// bytes that no JSON text could carry.
TEST(DecodingJson, RefusesInvalidUtf8InATreeBuiltByTheProgram) {
  nlohmann::json tree{{"account", std::string{"A-\xFF"}}, {"amount", 1}};
  auto const decoded = once::domain::decode_json_value<top_up>(tree);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(), "account: is not valid UTF-8");
}

TEST(DecodingJson, RefusesInvalidUtf8InAJsonTextAsMalformed) {
  auto const decoded = decode_json<top_up>(std::string{"{\"account\":\"A-\xFF\",\"amount\":1}"});
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().problem, "malformed JSON");
}

TEST(StorableText, AcceptsWellFormedUtf8AndRefusesEverythingElse) {
  using once::domain::unstorable_text_reason;
  EXPECT_EQ(unstorable_text_reason(""), nullptr);
  EXPECT_EQ(unstorable_text_reason("Zürich 東京 🚀"), nullptr);
  EXPECT_STREQ(unstorable_text_reason(std::string_view{"a\0b", 3}), "contains a NUL character");
  EXPECT_STREQ(unstorable_text_reason("\xC0\xAF"), "is not valid UTF-8");          // overlong '/'
  EXPECT_STREQ(unstorable_text_reason("\xED\xA0\x80"), "is not valid UTF-8");      // a surrogate
  EXPECT_STREQ(unstorable_text_reason("\xF4\x90\x80\x80"), "is not valid UTF-8");  // past U+10FFFF
  EXPECT_STREQ(unstorable_text_reason("abc\xE2\x82"), "is not valid UTF-8");       // cut short
}

}  // namespace
}  // namespace once_tests
