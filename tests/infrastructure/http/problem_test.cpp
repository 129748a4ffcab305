#include <once/http/problem.hpp>

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace once_tests {
namespace {

using once::http::problem;
using once::http::problem_kind;

TEST(ProblemDetails, CarryTypeTitleStatusAndDetailAsRfc9457Json) {
  auto const body = nlohmann::json::parse(
      once::http::problem_json({problem_kind::invalid_request, "amount.value: expected an integer", "amount.value"}));
  EXPECT_EQ(body.at("type"), "urn:once:problem:invalid-request");
  EXPECT_EQ(body.at("title"), "Invalid request");
  EXPECT_EQ(body.at("status"), 400);
  EXPECT_EQ(body.at("detail"), "amount.value: expected an integer");
  EXPECT_EQ(body.at("field"), "amount.value");
}

TEST(ProblemDetails, GiveEachKindItsOwnStableTypeAndTheAdviceWhenNoDetail) {
  std::set<std::string> uris;
  for (int i = 0; i <= static_cast<int>(problem_kind::bad_gateway); ++i) {
    auto const kind = static_cast<problem_kind>(i);
    auto const& type = once::http::type_of(kind);
    EXPECT_TRUE(uris.insert(std::string{type.uri}).second) << type.uri;
    EXPECT_FALSE(type.advice.empty());
    auto const body = nlohmann::json::parse(once::http::problem_json({kind, ""}));
    EXPECT_EQ(body.at("detail"), type.advice);
  }
}

TEST(ProblemDetails, MapTheIdempotencyCasesToTheContractsStatuses) {
  EXPECT_EQ(once::http::type_of(problem_kind::idempotency_key_reused).status, 422);
  EXPECT_EQ(once::http::type_of(problem_kind::request_in_flight).status, 409);
  EXPECT_EQ(once::http::type_of(problem_kind::duplicate_request).status, 409);
  EXPECT_EQ(once::http::type_of(problem_kind::missing_idempotency_key).status, 400);
  EXPECT_EQ(once::http::type_of(problem_kind::payload_too_large).status, 413);
  EXPECT_EQ(once::http::type_of(problem_kind::unsupported_media_type).status, 415);
  EXPECT_EQ(once::http::type_of(problem_kind::unauthorized).status, 401);
}

TEST(ProblemDetails, LetARouteChooseTheStatusOfADomainRejection) {
  problem const refusal{problem_kind::domain_rejection, "the payment exceeds the account's remaining credit",
                        std::nullopt, "credit_limit_exceeded", 402};
  EXPECT_EQ(once::http::status_of(refusal), 402);
  auto const body = nlohmann::json::parse(once::http::problem_json(refusal));
  EXPECT_EQ(body.at("status"), 402);
  EXPECT_EQ(body.at("code"), "credit_limit_exceeded");
}

}  // namespace
}  // namespace once_tests
