// The Idempotency-Key contract of a command route, over real sockets, on the
// test ledger and the memory store.
#include <once/http/command_endpoint.hpp>

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/memory/memory_command_store.hpp>

#include <once/testing/http_client.hpp>
#include "support/captured_log.hpp"
#include "support/ledger.hpp"

namespace once_tests {
namespace {

using once::testing::http_answer;
using once::testing::http_client;
using namespace std::chrono_literals;

using headers = std::vector<std::pair<std::string, std::string>>;

class CommandRoute : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens.add("token-a", "tenant-a");
    tokens.add("token-b", "tenant-b");
    once::http::router routes;
    routes.add("POST", "/v1/ledgers/{ledger_id}/deposits",
               once::http::command_endpoint<ledger, deposit>(
                   dispatcher, tokens,
                   {.success_status = 201,
                    .location = [](ledger_view const& v) { return "/v1/ledgers/view/" + std::to_string(v.operations); },
                    .validate = [](deposit const& d) -> std::optional<once::domain::decode_error> {
                      if (d.amount <= 0) return once::domain::decode_error{"amount", "must be positive"};
                      return std::nullopt;
                    }}));
    // No path parameters: the command comes from the body alone.
    routes.add("POST", "/v1/deposits", once::http::command_endpoint<ledger, deposit>(dispatcher, tokens, {}));
    routes.add("POST", "/v1/ledgers/{ledger_id}/withdrawals",
               once::http::command_endpoint<ledger, withdraw>(
                   dispatcher, tokens, {.success_status = 201, .rejection_status = {{"insufficient_funds", 409}}}));
    routes.add("PUT", "/v1/ledgers/{ledger_id}/name",
               once::http::command_endpoint<ledger, rename>(dispatcher, tokens, {.success_status = 200}));
    routes.add("POST", "/v1/ledgers/{ledger_id}/closure",
               once::http::command_endpoint<ledger, close_ledger>(dispatcher, tokens, {.success_status = 201}));
    once::http::server_options options;
    options.port = 0;
    options.request_log = request_log.logger();
    server = std::make_unique<once::http::server>(options, std::move(routes));
    ASSERT_TRUE(server->start().has_value());
  }
  void TearDown() override { server->stop(); }

  http_answer post(std::string const& path, std::string const& body, std::string key, std::string token = "token-a") {
    headers h{{"content-type", "application/json"}, {"authorization", "Bearer " + token}};
    if (!key.empty()) h.emplace_back("idempotency-key", key);
    return http_client{server->port()}.send("POST", path, body, h);
  }
  static std::string type_of(http_answer const& answer) {
    return nlohmann::json::parse(answer.body).at("type").get<std::string>();
  }

  once::memory::memory_command_store store;
  once::application::dispatcher_options options_with_short_waits() {
    once::application::dispatcher_options o;
    o.waits.in_flight = 100ms;
    return o;
  }
  once::application::command_dispatcher<ledger> dispatcher{store, {}, options_with_short_waits()};
  once::http::bearer_tokens tokens;
  captured_log request_log;
  std::unique_ptr<once::http::server> server;
};

TEST_F(CommandRoute, AnswersTheRoutesStatusBodyAndLocationAndReplaysThemFlagged) {
  auto const first = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "k-1");
  EXPECT_EQ(first.status, 201);
  EXPECT_EQ(first.headers["location"], "/v1/ledgers/view/1");
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0U);
  auto const again = post("/v1/ledgers/L-1/deposits", R"({"amount":100,"deposit_id":"D-1"})", "k-1");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["location"], "/v1/ledgers/view/1");
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
}

TEST_F(CommandRoute, TreatsTheQuotedAndTheBareKeyAsOneIntent) {
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-0","amount":100})", "k-0").status, 201);
  EXPECT_EQ(post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-1").status, 201);
  auto const quoted = post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "\"w-1\"");
  EXPECT_EQ(quoted.headers["idempotent-replayed"], "true");
}

TEST_F(CommandRoute, RefusesTheSameKeyWithAnotherPayloadWith422) {
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-0","amount":100})", "k-0").status, 201);
  ASSERT_EQ(post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-1").status, 201);
  auto const reused = post("/v1/ledgers/L-1/withdrawals", R"({"amount":99})", "w-1");
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(type_of(reused), "urn:once:problem:idempotency-key-reused");
}

TEST_F(CommandRoute, StoresADomainRejectionAndReplaysIt) {
  auto const refused = post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-1");
  EXPECT_EQ(refused.status, 4 * 100 + 22);  // ledger_not_found: not mapped, 422
  EXPECT_EQ(nlohmann::json::parse(refused.body).at("code"), "ledger_not_found");
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-0","amount":5})", "k-0").status, 201);
  auto const poor = post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-2");
  EXPECT_EQ(poor.status, 409);  // insufficient_funds is mapped to 409 by the route
  auto const replay = post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-2");
  EXPECT_EQ(replay.status, 409);
  EXPECT_EQ(replay.body, poor.body);
  EXPECT_EQ(replay.headers["idempotent-replayed"], "true");
}

TEST_F(CommandRoute, RefusesARejectConflictRepeatWith409) {
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-0","amount":5})", "k-0").status, 201);
  ASSERT_EQ(post("/v1/ledgers/L-1/closure", R"({"reason":"done"})", "c-1").status, 201);
  auto const again = post("/v1/ledgers/L-1/closure", R"({"reason":"done"})", "c-1");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(type_of(again), "urn:once:problem:duplicate-request");
}

TEST_F(CommandRoute, AnswersANoOpRepeatWithTheCurrentRepresentation) {
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-0","amount":5})", "k-0").status, 201);
  headers h{{"content-type", "application/json"}, {"authorization", "Bearer token-a"}, {"idempotency-key", "n-1"}};
  auto const first = http_client{server->port()}.send("PUT", "/v1/ledgers/L-1/name", R"({"name":"main"})", h);
  EXPECT_EQ(first.status, 200);
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":5})", "k-1").status, 201);
  auto const repeat = http_client{server->port()}.send("PUT", "/v1/ledgers/L-1/name", R"({"name":"main"})", h);
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(nlohmann::json::parse(repeat.body).at("balance"), 10);
  EXPECT_EQ(repeat.headers["idempotent-replayed"], "true");
}

TEST_F(CommandRoute, AnswersAnIntentStillInFlightWith409AndRetryAfter) {
  withdraw const command{"L-1", 10};
  once::domain::envelope env;
  env.tenant = "tenant-a";
  env.client_key = "w-1";
  auto const intent = dispatcher.intent_of(command, env);
  auto held = store.claim({intent->untyped(),
                           "test.withdraw",
                           once::application::fingerprint_of(command),
                           {"test.ledger", "L-1", "tenant-a"},
                           std::chrono::system_clock::now(),
                           std::nullopt,
                           true},
                          {100ms, 100ms});
  ASSERT_EQ(held->state, once::application::claim_result::status::claimed);
  auto const busy = post("/v1/ledgers/L-1/withdrawals", R"({"amount":10})", "w-1");
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(type_of(busy), "urn:once:problem:request-in-flight");
  EXPECT_EQ(busy.headers["retry-after"], "1");
}

// A deposit is keyed by its deposit_id (the table says so): the header is neither needed nor read.
TEST_F(CommandRoute, ACommandKeyedByAFieldNeedsNoIdempotencyKeyAndIgnoresOneSent) {
  auto const first = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "");
  EXPECT_EQ(first.status, 201);
  auto const malformed_key = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "a, b");
  EXPECT_EQ(malformed_key.status, 201);
  EXPECT_EQ(malformed_key.headers["idempotent-replayed"], "true");
  auto const other_key = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "k-9");
  EXPECT_EQ(other_key.headers["idempotent-replayed"], "true");
  EXPECT_EQ(nlohmann::json::parse(other_key.body).at("balance"), 100);
}

TEST_F(CommandRoute, KeepsTenantsApartWithTheSameKey) {
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "k", "token-a").status, 201);
  auto const other = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":7})", "k", "token-b");
  EXPECT_EQ(other.status, 201) << "tenant-b's intent is its own, not a conflict with tenant-a's";
  EXPECT_EQ(nlohmann::json::parse(other.body).at("balance"), 7);
}

TEST_F(CommandRoute, RefusesBadRequestsPreciselyAndRecordsNothing) {
  EXPECT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D","amount":1})", "k", "wrong").status, 401);
  EXPECT_EQ(type_of(post("/v1/ledgers/L-1/withdrawals", R"({"amount":1})", "")),
            "urn:once:problem:missing-idempotency-key");
  EXPECT_EQ(type_of(post("/v1/ledgers/L-1/withdrawals", R"({"amount":1})", "a, b")),
            "urn:once:problem:malformed-idempotency-key");
  EXPECT_EQ(type_of(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D",)", "k")), "urn:once:problem:malformed-json");
  auto const missing = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D"})", "k");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(nlohmann::json::parse(missing.body).at("field"), "amount");
  auto const wrong_type = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D","amount":"ten"})", "k");
  EXPECT_EQ(nlohmann::json::parse(wrong_type.body).at("detail"), "amount: expected an integer");
  auto const invalid = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D","amount":-5})", "k");
  EXPECT_EQ(nlohmann::json::parse(invalid.body).at("field"), "amount");
  auto const contradiction =
      post("/v1/ledgers/L-1/deposits", R"({"ledger_id":"L-2","deposit_id":"D","amount":1})", "k");
  EXPECT_EQ(nlohmann::json::parse(contradiction.body).at("field"), "ledger_id");
  headers text{{"content-type", "text/plain"}, {"authorization", "Bearer token-a"}, {"idempotency-key", "k"}};
  EXPECT_EQ(http_client{server->port()}.send("POST", "/v1/ledgers/L-1/deposits", "{}", text).status, 415);
  EXPECT_EQ(store.intent_count(), 0U) << "no rejected request may claim or store anything";
  // The same key is still free for the corrected request.
  EXPECT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D","amount":1})", "k").status, 201);
}

// Two field lines of a single-valued header form a list (RFC 9110 5.3),
// which names no one key or caller: neither line is chosen.
TEST_F(CommandRoute, RefusesTwoIdempotencyKeyOrAuthorizationLinesWith400) {
  auto const send = [&](std::string const& header_lines) {
    std::string const body = R"({"amount":1})";
    http_client client{server->port()};
    client.send_raw("POST /v1/ledgers/L-1/withdrawals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                    header_lines + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return client.receive();
  };
  auto const two_keys = send("Authorization: Bearer token-a\r\nIdempotency-Key: k-1\r\nIdempotency-Key: k-2\r\n");
  EXPECT_EQ(two_keys.status, 400);
  EXPECT_EQ(type_of(two_keys), "urn:once:problem:malformed-idempotency-key");
  auto const two_tokens =
      send("Authorization: Bearer token-a\r\nAuthorization: Bearer token-b\r\nIdempotency-Key: k-1\r\n");
  EXPECT_EQ(two_tokens.status, 400);
  EXPECT_EQ(nlohmann::json::parse(two_tokens.body).at("field"), "authorization");
  EXPECT_EQ(store.intent_count(), 0U);
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D","amount":5})", "").status, 201);
  EXPECT_EQ(send("Authorization: Bearer token-a\r\nIdempotency-Key: k-1\r\n").status, 201);
}

// PostgreSQL refuses NUL and ill-formed UTF-8, and libpq cuts a string at
// its first NUL ("L-1\0zzz" would act on L-1): refused where decoded.
TEST_F(CommandRoute, RefusesNulAndInvalidUtf8InTheBodyOrThePathNamingTheFieldAndRecordsNothing) {
  auto const nul_in_body = post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D \u0000","amount":1})", "k");
  EXPECT_EQ(nul_in_body.status, 400);
  EXPECT_EQ(nlohmann::json::parse(nul_in_body.body).at("field"), "deposit_id");
  auto const nul_without_path = post("/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D\u0000","amount":1})", "k");
  EXPECT_EQ(nlohmann::json::parse(nul_without_path.body).at("field"), "deposit_id");
  for (std::string const ledger : {"L-1%00zzz", "%FF", "L%0A1", "%C0%AF"}) {
    auto const refused = post("/v1/ledgers/" + ledger + "/deposits", R"({"deposit_id":"D","amount":1})", "k");
    EXPECT_EQ(refused.status, 400) << ledger;
    EXPECT_EQ(nlohmann::json::parse(refused.body).at("field"), "ledger_id") << ledger;
  }
  auto const bad_bytes = post("/v1/ledgers/L-1/deposits", "{\"deposit_id\":\"D\xFF\",\"amount\":1}", "k");
  EXPECT_EQ(type_of(bad_bytes), "urn:once:problem:malformed-json");
  EXPECT_EQ(store.intent_count(), 0U) << "no refused request may claim or store anything";
}

TEST(JsonContentType, IsApplicationJsonInAnyCaseWithOrWithoutParameters) {
  using once::http::detail::is_json_content;
  EXPECT_TRUE(is_json_content("application/json"));
  EXPECT_TRUE(is_json_content("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_content("application/jsonp"));
  EXPECT_FALSE(is_json_content("text/plain"));
  EXPECT_FALSE(is_json_content("application/js"));
  EXPECT_FALSE(is_json_content(std::nullopt));
}

TEST_F(CommandRoute, TakesTheBearerSchemeInAnyCase) {
  headers h{{"content-type", "application/json"}, {"authorization", "BEARER token-a"}, {"idempotency-key", "k-1"}};
  EXPECT_EQ(http_client{server->port()}
                .send("POST", "/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D","amount":1})", h)
                .status,
            201);
  h[1].second = "Basic token-a";
  EXPECT_EQ(http_client{server->port()}
                .send("POST", "/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D","amount":1})", h)
                .status,
            401);
}

TEST_F(CommandRoute, TellsAMalformedBodyFromARefusedFieldOnARouteWithoutPathParameters) {
  // Wrong amount type first, then the body breaks off: not JSON, whatever its first fields were.
  EXPECT_EQ(type_of(post("/v1/deposits", R"({"ledger_id":"L-1","amount":"ten","deposit_id":)", "k")),
            "urn:once:problem:malformed-json");
  EXPECT_EQ(type_of(post("/v1/deposits", "", "k")), "urn:once:problem:malformed-json");
  auto const array = post("/v1/deposits", "[1,2]", "k");
  EXPECT_EQ(type_of(array), "urn:once:problem:invalid-request");
  EXPECT_EQ(nlohmann::json::parse(array.body).at("detail"), "the body must be a JSON object");
  auto const wrong_type = post("/v1/deposits", R"({"ledger_id":"L-1","amount":"ten","deposit_id":"D"})", "k");
  EXPECT_EQ(type_of(wrong_type), "urn:once:problem:invalid-request");
  EXPECT_EQ(nlohmann::json::parse(wrong_type.body).at("field"), "amount");
  auto const missing = post("/v1/deposits", R"( {"ledger_id":"L-1","deposit_id":"D"} )", "k");
  EXPECT_EQ(nlohmann::json::parse(missing.body).at("field"), "amount");
  // A field the command does not have, or one given twice, is refused: the client meant something the route cannot do.
  auto const unknown = post("/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D","amount":5,"note":"x"})", "k");
  EXPECT_EQ(nlohmann::json::parse(unknown.body).at("field"), "note");
  EXPECT_EQ(nlohmann::json::parse(unknown.body).at("detail"), "note: is not a known field");
  auto const twice = post("/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D","amount":5,"amount":50})", "k");
  EXPECT_EQ(nlohmann::json::parse(twice.body).at("detail"), "amount: appears twice");
  EXPECT_EQ(store.intent_count(), 0U) << "no refused request may claim or store anything";
  auto const applied = post("/v1/deposits", R"({"ledger_id":"L-1","deposit_id":"D","amount":5})", "k");
  EXPECT_EQ(applied.status, 201);
  EXPECT_EQ(nlohmann::json::parse(applied.body).at("balance"), 5);
}

TEST_F(CommandRoute, LogsOneJsonLinePerRequestWithTheIntentAndOutcomeButNeverTheBodyOrToken) {
  auto const rename_to = [this](std::string const& name) {
    headers h{{"content-type", "application/json"}, {"authorization", "Bearer token-a"}, {"idempotency-key", "k-1"}};
    return http_client{server->port()}.send("PUT", "/v1/ledgers/L-1/name", R"({"name":")" + name + R"("})", h);
  };
  ASSERT_EQ(post("/v1/ledgers/L-1/deposits", R"({"deposit_id":"D-1","amount":100})", "k-0").status, 201);
  ASSERT_EQ(rename_to("Private Person").status, 200);
  ASSERT_EQ(rename_to("Private Person").status, 200);
  ASSERT_EQ(rename_to("Someone Else").status, 422);

  auto lines = request_log.lines();
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(lines[0].at("intent"), "tenant-a:test.deposit/L-1:D-1");
  lines.erase(lines.begin());
  for (auto const& line : lines) {
    EXPECT_EQ(line.at("event"), "request");
    EXPECT_EQ(line.at("level"), "info");
    EXPECT_EQ(line.at("method"), "PUT");
    EXPECT_EQ(line.at("path"), "/v1/ledgers/L-1/name");
    EXPECT_EQ(line.at("command"), "test.rename");
    EXPECT_EQ(line.at("intent"), "tenant-a:test.rename/L-1:k-1");
    EXPECT_TRUE(line.at("duration_ms").is_number());
    EXPECT_TRUE(line.contains("time"));
  }
  EXPECT_EQ(lines[0].at("status"), 200);
  EXPECT_EQ(lines[0].at("outcome"), "applied");
  EXPECT_EQ(lines[1].at("outcome"), "no_op");
  EXPECT_EQ(lines[2].at("status"), 422);
  EXPECT_EQ(lines[2].at("outcome"), "intent_conflict");
  EXPECT_EQ(request_log.text().find("Private"), std::string::npos);
  EXPECT_EQ(request_log.text().find("token-a"), std::string::npos);
}

TEST_F(CommandRoute, LogsARefusedRequestWithItsStatusAndNoIntent) {
  ASSERT_EQ(post("/v1/ledgers/L-1/withdrawals", R"({"amount":5})", "k-2", "nobody").status, 401);
  auto const lines = request_log.lines();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_EQ(lines[0].at("status"), 401);
  EXPECT_FALSE(lines[0].contains("intent"));
}

}  // namespace
}  // namespace once_tests
