// JSON log lines: every line parses, whatever bytes a field carries.
#include <once/observability/structured_log.hpp>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/captured_log.hpp"

namespace once_tests {
namespace {

using once::observability::append_json_string;

std::string as_json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// What a JSON parser reads back from the encoded string.
std::string read_back(std::string_view text) {
  return nlohmann::json::parse(as_json_string(text)).get<std::string>();
}

TEST(StructuredLog, EscapesQuotesBackslashesAndControlCharacters) {
  std::string const awkward = "say \"hi\"\\ now\n\ttab\r\x01\x1f end";
  EXPECT_EQ(read_back(awkward), awkward);
  EXPECT_EQ(as_json_string("a\"b"), R"("a\"b")");
  EXPECT_EQ(as_json_string("\x01"), R"("\u0001")");
}

TEST(StructuredLog, KeepsWellFormedUtf8AsItIs) {
  std::string const text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";  // café € 😀
  EXPECT_EQ(as_json_string(text), '"' + text + '"');
}

TEST(StructuredLog, ReplacesBytesThatAreNotUtf8SoTheLineStaysValidJson) {
  std::string const replacement = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(read_back("a\xFF"
                      "b"),
            "a" + replacement + "b");
  EXPECT_EQ(read_back("cut \xE2\x82"), "cut " + replacement + replacement);       // a sequence cut short
  EXPECT_EQ(read_back("\xC0\x80"), replacement + replacement);                    // overlong NUL
  EXPECT_EQ(read_back("\xED\xA0\x80"), replacement + replacement + replacement);  // a UTF-16 surrogate
  EXPECT_EQ(read_back("\xF4\x90\x80\x80"), replacement + replacement + replacement + replacement);  // past U+10FFFF
}

TEST(StructuredLog, WritesTheEventThenTheFieldsInTheirOrder) {
  captured_log log{"http"};
  once::observability::log_event(*log.logger(), spdlog::level::warn, "request",
                                 {{"path", "/v1/\xFFpayments"}, {"status", std::int64_t{201}}, {"duration_ms", 2.5}});
  auto const text = log.text();
  EXPECT_NE(
      text.find(R"("logger":"http","event":"request","path":"/v1/\ufffdpayments","status":201,"duration_ms":2.5})"),
      std::string::npos)
      << text;
  auto const line = log.lines().at(0);
  EXPECT_EQ(line.at("level"), "warning");
  EXPECT_EQ(line.at("status"), 201);
  EXPECT_DOUBLE_EQ(line.at("duration_ms").get<double>(), 2.5);
}

}  // namespace
}  // namespace once_tests
