#include <once/http/idempotency_key.hpp>

#include <string>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using once::http::parse_idempotency_key;

TEST(IdempotencyKeyHeader, AcceptsABareUuidAndTheSameKeyQuoted) {
  auto const bare = parse_idempotency_key("8e03978e-40d5-43e8-bc93-6894a57f9324");
  auto const quoted = parse_idempotency_key("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"");
  ASSERT_TRUE(bare.has_value() && quoted.has_value());
  EXPECT_EQ(*bare, *quoted);
}

TEST(IdempotencyKeyHeader, AcceptsUlidsUrnsAndPathsBare) {
  for (std::string key : {"01ARZ3NDEKTSV4RRFFQ69G5FAV", "urn:order:O-1", "orders/O-1/pay", "a!#$%&'*+-.^_`|~z"}) {
    auto const parsed = parse_idempotency_key(key);
    ASSERT_TRUE(parsed.has_value()) << key;
    EXPECT_EQ(*parsed, key);
  }
}

TEST(IdempotencyKeyHeader, IgnoresSurroundingWhitespace) {
  EXPECT_EQ(parse_idempotency_key("  abc\t").value(), "abc");
}

TEST(IdempotencyKeyHeader, UnescapesAQuotedKeyAndAllowsPrintableCharacters) {
  EXPECT_EQ(parse_idempotency_key(R"("a \"b\" \\ c, d; e")").value(), R"(a "b" \ c, d; e)");
}

TEST(IdempotencyKeyHeader, AcceptsExactly255CharactersInBothForms) {
  std::string const key(255, 'k');
  EXPECT_TRUE(parse_idempotency_key(key).has_value());
  EXPECT_TRUE(parse_idempotency_key('"' + key + '"').has_value());
}

TEST(IdempotencyKeyHeader, RefusesMalformedValues) {
  for (std::string value :
       {std::string{}, std::string{"   "}, std::string{"\"\""}, std::string(256, 'k'),
        '"' + std::string(256, 'k') + '"', std::string{"a,b"}, std::string{"\"a\", \"b\""}, std::string{"abc;v=1"},
        std::string{"\"abc\";v=1"}, std::string{"a b"}, std::string{"ab\x01"}, std::string{"\"ab\x7f\""},
        std::string{"\"abc"}, std::string{"\"a\\nb\""}, std::string{"caf\xc3\xa9"}, std::string{"(abc)"}}) {
    auto const parsed = parse_idempotency_key(value);
    EXPECT_FALSE(parsed.has_value()) << '[' << value << ']';
    if (!parsed.has_value()) {
      EXPECT_FALSE(parsed.error().reason.empty());
    }
  }
}

}  // namespace
}  // namespace once_tests
