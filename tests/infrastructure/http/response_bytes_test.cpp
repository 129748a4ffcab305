// The bytes of an answer: what a client parses, and what the server refuses to send.
#include "response_bytes.hpp"

#include <string>

#include <gtest/gtest.h>

namespace once_tests {
namespace {

using once::http::response;
using once::http::response_bytes;

TEST(ResponseBytes, FramesTheBodyWithItsLengthAfterTheHandlersHeaders) {
  response const answer{
      201, {{"Content-Type", "application/json"}, {"Location", "/v1/accounts/A-1"}}, R"({"a":1})", {}};
  EXPECT_EQ(response_bytes(answer, {}),
            "HTTP/1.1 201 Created\r\n"
            "Content-Type: application/json\r\n"
            "Location: /v1/accounts/A-1\r\n"
            "Content-Length: 7\r\n"
            "\r\n"
            R"({"a":1})");
}

TEST(ResponseBytes, SaysConnectionCloseWhenTheServerClosesAfterwards) {
  response const answer{503, {{"Retry-After", "1"}}, "x", {}};
  EXPECT_EQ(response_bytes(answer, {.keep_alive = false}),
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
}

TEST(ResponseBytes, AnswersHeadWithTheLengthOfTheBodyItLeavesOut) {
  response const answer{200, {}, "twelve bytes", {}};
  EXPECT_EQ(response_bytes(answer, {.head = true}), "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
}

TEST(ResponseBytes, SendsNoBodyAndNoLengthWithA204) {
  response const answer{204, {}, "ignored", {}};
  EXPECT_EQ(response_bytes(answer, {}), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(ResponseBytes, DropsAHeaderWhoseValueWouldSplitTheMessage) {
  response const answer{201, {{"Location", "/v1/x\r\nSet-Cookie: stolen=1"}, {"X-Ok", "tab\tis fine"}}, "", {}};
  auto const bytes = response_bytes(answer, {});
  EXPECT_EQ(bytes.find("Set-Cookie"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("Location"), std::string::npos) << bytes;
  EXPECT_NE(bytes.find("X-Ok: tab\tis fine\r\n"), std::string::npos) << bytes;
}

TEST(ResponseBytes, KeepsTheFramingHeadersToItself) {
  response const answer{200,
                        {{"content-length", "999"},
                         {"Transfer-Encoding", "chunked"},
                         {"Connection", "close"},
                         {"Bad Name", "x"},
                         {"", "x"}},
                        "ab",
                        {}};
  EXPECT_EQ(response_bytes(answer, {}), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab");
}

}  // namespace
}  // namespace once_tests
