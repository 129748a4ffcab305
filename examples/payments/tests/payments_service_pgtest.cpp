// payments-service as a black box: the real binary, over real sockets on
// 127.0.0.1, on a real PostgreSQL (a fresh schema per test). Every rule of
// the Idempotency-Key contract, tenant isolation, bad input, and a SIGKILL
// under load followed by client retries.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/testing/eventually.hpp>
#include <once/testing/http_client.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace payments_tests {
namespace {

using nlohmann::json;
using once::testing::http_answer;
using once::testing::http_client;
using once::testing::send_until_answered;
using once::testing::service_process;
using headers = std::vector<std::pair<std::string, std::string>>;

class PaymentsServiceOnPostgres : public ::testing::Test {
 protected:
  static std::vector<std::string> arguments(once::testing::pg_schema const& schema) {
    return {"--store",      "postgres",         "--database-url", schema.url(),       "--schema",  schema.name(),
            "--auth-token", "token-a:tenant-a", "--auth-token",   "token-b:tenant-b", "--threads", "8"};
  }

  static headers write_headers(std::string const& key, std::string const& token = "token-a") {
    headers h{{"content-type", "application/json"}, {"authorization", "Bearer " + token}};
    if (!key.empty()) h.emplace_back("idempotency-key", key);
    return h;
  }
  http_answer send(std::string const& method, std::string const& target, std::string const& body, headers const& h) {
    return http_client{service.port()}.send(method, target, body, h);
  }
  http_answer post(std::string const& target, json const& body, std::string const& key,
                   std::string const& token = "token-a") {
    return send("POST", target, body.dump(), write_headers(key, token));
  }
  http_answer get(std::string const& target, std::string const& token = "token-a") {
    return send("GET", target, {}, {{"authorization", "Bearer " + token}});
  }
  void open_account(std::string const& id, std::int64_t limit, std::string const& token = "token-a") {
    auto const opened =
        post("/v1/accounts", {{"account_id", id}, {"currency", "EUR"}, {"credit_limit", limit}}, "open-" + id, token);
    ASSERT_EQ(opened.status, 201) << opened.body;
  }
  static json payment(std::string const& account, std::int64_t value, std::string const& description = "books") {
    return {{"account_id", account}, {"amount", {{"value", value}, {"currency", "EUR"}}}, {"description", description}};
  }
  std::int64_t authorized_total(std::string const& account, std::string const& token = "token-a") {
    auto const answer = get("/v1/accounts/" + account, token);
    EXPECT_EQ(answer.status, 200) << answer.body;
    return json::parse(answer.body).at("authorized_total").at("value").get<std::int64_t>();
  }
  std::int64_t rows(std::string const& table) const { return schema.scalar("SELECT count(*) FROM ${schema}." + table); }
  std::int64_t events(std::string const& type) const {
    return schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE event_type = '" + type + "'");
  }
  static std::string problem_type(http_answer const& answer) {
    return json::parse(answer.body).at("type").get<std::string>();
  }

  once::testing::pg_schema schema;
  service_process service{PAYMENTS_SERVICE, arguments(schema)};
};

TEST_F(PaymentsServiceOnPostgres, CreatesAPaymentAndReplaysItsRetryWithTheSameStatusBodyAndLocation) {
  open_account("A-1", 10000);
  // The structured-field string and the bare token name the same intent.
  auto const first = send("POST", "/v1/payments", payment("A-1", 2500).dump(), write_headers("\"pay-1\""));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.headers.count("idempotent-replayed"), 0U);
  auto const created = json::parse(first.body);
  EXPECT_EQ(created.at("status"), "authorized");
  EXPECT_EQ(first.headers["location"], "/v1/payments/" + created.at("payment_id").get<std::string>());

  auto const retry = send("POST", "/v1/payments", payment("A-1", 2500).dump(), write_headers("pay-1"));
  EXPECT_EQ(retry.status, 201);
  EXPECT_EQ(json::parse(retry.body), created);
  EXPECT_EQ(retry.headers["idempotent-replayed"], "true");
  EXPECT_EQ(retry.headers["location"], first.headers["location"]);

  EXPECT_EQ(get(std::string{first.headers["location"]}).status, 200);
  EXPECT_EQ(authorized_total("A-1"), 2500);
  EXPECT_EQ(events("payments.payment_authorized"), 1);
}

TEST_F(PaymentsServiceOnPostgres, FortyEightSimultaneousRequestsWithOneKeyCreateOnePayment) {
  open_account("A-1", 1000000);
  constexpr int requests = 48;
  std::latch start{requests};
  std::vector<http_answer> answers(requests);
  std::vector<std::thread> clients;
  for (int i = 0; i < requests; ++i) {
    clients.emplace_back([&, i] {
      http_client client{service.port()};  // connected before the start line
      start.arrive_and_wait();
      answers[static_cast<std::size_t>(i)] =
          client.send("POST", "/v1/payments", payment("A-1", 4000, "lamp").dump(), write_headers("same-key"));
    });
  }
  for (auto& client : clients) client.join();

  int created = 0, replayed = 0, in_flight = 0;
  std::set<std::string> bodies;
  for (auto const& answer : answers) {
    if (answer.status == 201 && answer.headers.count("idempotent-replayed") == 0) {
      ++created;
      bodies.insert(answer.body);
    } else if (answer.status == 201 && answer.headers["idempotent-replayed"] == "true") {
      ++replayed;
      bodies.insert(answer.body);
    } else if (answer.status == 409) {
      EXPECT_EQ(problem_type(answer), "urn:once:problem:request-in-flight");
      ++in_flight;
    } else {
      ADD_FAILURE() << answer.status << ' ' << answer.body;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(created + replayed + in_flight, requests);
  EXPECT_EQ(bodies.size(), 1U) << "every answer carries the one payment";
  EXPECT_EQ(authorized_total("A-1"), 4000);
  EXPECT_EQ(events("payments.payment_authorized"), 1);
}

TEST_F(PaymentsServiceOnPostgres, TheKeyReusedWithAnotherPayloadIsRefusedWith422AndChangesNothing) {
  open_account("A-1", 10000);
  ASSERT_EQ(post("/v1/payments", payment("A-1", 2500), "pay-1").status, 201);
  auto const reused = post("/v1/payments", payment("A-1", 9900), "pay-1");
  EXPECT_EQ(reused.status, 422);
  EXPECT_EQ(problem_type(reused), "urn:once:problem:idempotency-key-reused");
  EXPECT_EQ(reused.headers["content-type"], "application/problem+json");
  EXPECT_EQ(authorized_total("A-1"), 2500);
  EXPECT_EQ(rows("once_intents"), 2);
}

TEST_F(PaymentsServiceOnPostgres, EachRouteRepeatsAsItsPolicySays) {
  open_account("A-1", 10000);
  auto const authorized = post("/v1/payments", payment("A-1", 3000), "pay-1");
  ASSERT_EQ(authorized.status, 201);
  auto const payment_id = json::parse(authorized.body).at("payment_id").get<std::string>();
  json const part{{"amount", {{"value", 1000}, {"currency", "EUR"}}}};

  // return_prior: a capture's repeat replays the first answer.
  auto const captured = post("/v1/payments/" + payment_id + "/captures", part, "cap-1");
  ASSERT_EQ(captured.status, 201) << captured.body;
  auto const capture_again = post("/v1/payments/" + payment_id + "/captures", part, "cap-1");
  EXPECT_EQ(capture_again.status, 201);
  EXPECT_EQ(capture_again.body, captured.body);
  EXPECT_EQ(capture_again.headers["idempotent-replayed"], "true");

  // no_op: a description's repeat answers the payment as it is now.
  auto const describe = [&](std::string const& text, std::string const& key) {
    return send("PUT", "/v1/payments/" + payment_id + "/description", json{{"description", text}}.dump(),
                write_headers(key));
  };
  ASSERT_EQ(describe("first", "desc-1").status, 200);
  ASSERT_EQ(describe("second", "desc-2").status, 200);
  auto const repeat = describe("first", "desc-1");
  EXPECT_EQ(repeat.status, 200);
  EXPECT_EQ(repeat.headers["idempotent-replayed"], "true");
  EXPECT_EQ(json::parse(repeat.body).at("description"), "second");

  // reject_conflict: a payout's repeat is refused as a duplicate.
  json const payout{{"amount", {{"value", 500}, {"currency", "EUR"}}}};
  ASSERT_EQ(post("/v1/accounts/A-1/payouts", payout, "out-1").status, 201);
  auto const duplicate = post("/v1/accounts/A-1/payouts", payout, "out-1");
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(problem_type(duplicate), "urn:once:problem:duplicate-request");
  EXPECT_EQ(events("payments.payout_made"), 1);
  EXPECT_EQ(events("payments.payment_captured"), 1);
}

TEST_F(PaymentsServiceOnPostgres, ARefundIsMadeOnceByItsRefundIdAndOneBeyondTheCaptureIsRefusedAndReplayed) {
  open_account("A-1", 10000);
  auto const authorized = post("/v1/payments", payment("A-1", 3000), "pay-1");
  ASSERT_EQ(authorized.status, 201);
  auto const payment_id = json::parse(authorized.body).at("payment_id").get<std::string>();
  ASSERT_EQ(
      post("/v1/payments/" + payment_id + "/captures", {{"amount", {{"value", 2000}, {"currency", "EUR"}}}}, "cap-1")
          .status,
      201);
  auto const refund = [&](std::string const& refund_id, std::int64_t value) {
    return send("POST", "/v1/payments/" + payment_id + "/refunds",
                json{{"refund_id", refund_id}, {"amount", {{"value", value}, {"currency", "EUR"}}}}.dump(),
                {{"authorization", "Bearer token-a"}, {"content-type", "application/json"}});
  };
  auto const first = refund("R-1", 1500);
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(
      json::parse(first.body),
      (json{{"refund_id", "R-1"}, {"payment_id", payment_id}, {"amount", {{"value", 1500}, {"currency", "EUR"}}}}));
  auto const again = refund("R-1", 1500);  // no Idempotency-Key: the refund id is the key
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  auto const beyond = refund("R-2", 501);
  EXPECT_EQ(beyond.status, 422);
  EXPECT_EQ(json::parse(beyond.body).at("code"), "refund_exceeds_capture");
  auto const beyond_again = refund("R-2", 501);
  EXPECT_EQ(beyond_again.status, 422);
  EXPECT_EQ(beyond_again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(refund("R-3", 500).status, 201);
  EXPECT_EQ(events("payments.payment_refunded"), 2);
}

TEST_F(PaymentsServiceOnPostgres, KeepsEachPaymentBesideItsAccountAndReadsOnlyThePaymentACommandNames) {
  open_account("A-1", 100000);
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(post("/v1/payments", payment("A-1", 100), "pay-" + std::to_string(i)).status, 201);
  auto const root = schema.text("SELECT state::text FROM ${schema}.once_aggregates WHERE aggregate_id = 'A-1'");
  EXPECT_EQ(json::parse(root).count("payments"), 0U) << root;
  EXPECT_EQ(rows("once_entities WHERE aggregate_id = 'A-1' AND collection = 'payments'"), 3);
  ASSERT_EQ(post("/v1/payments/A-1.p2/captures", {{"amount", {{"value", 100}, {"currency", "EUR"}}}}, "cap-2").status,
            201);
  EXPECT_EQ(json::parse(get("/v1/payments/A-1.p2").body).at("status"), "captured");
  EXPECT_EQ(json::parse(get("/v1/payments/A-1.p3").body).at("status"), "authorized");
  EXPECT_EQ(get("/v1/payments/A-1.p4").status, 404);
}

TEST_F(PaymentsServiceOnPostgres, AnAccountStoredWithItsPaymentsInsideKeepsWorkingAndHasThemMovedOutByItsNextCommand) {
  // An account as it was stored before payments were kept beside the account: all of them in its state.
  schema.exec(
      "INSERT INTO ${schema}.once_aggregates (tenant, aggregate_type, aggregate_id, version, state) VALUES "
      "('tenant-a', 'payments.account', 'A-9', 3, '{\"account_id\":\"A-9\",\"authorized_total\":300,"
      "\"captured_total\":0,\"credit_limit\":1000,\"currency\":\"EUR\",\"paid_out_total\":0,"
      "\"payments\":{\"A-9.p1\":{\"amount\":100,\"captured\":0,\"description\":\"one\"},"
      "\"A-9.p2\":{\"amount\":200,\"captured\":0,\"description\":\"two\"}},"
      "\"payments_authorized\":2,\"payouts_made\":0}')");
  EXPECT_EQ(json::parse(get("/v1/payments/A-9.p2").body).at("description"), "two");
  auto const captured =
      post("/v1/payments/A-9.p1/captures", {{"amount", {{"value", 100}, {"currency", "EUR"}}}}, "cap-legacy");
  ASSERT_EQ(captured.status, 201) << captured.body;
  auto const root = schema.text("SELECT state::text FROM ${schema}.once_aggregates WHERE aggregate_id = 'A-9'");
  EXPECT_EQ(json::parse(root).count("payments"), 0U) << root;
  EXPECT_EQ(json::parse(root).at("captured_total"), 100);
  EXPECT_EQ(rows("once_entities WHERE aggregate_id = 'A-9'"), 2);
  EXPECT_EQ(json::parse(get("/v1/payments/A-9.p1").body).at("status"), "captured");
  EXPECT_EQ(json::parse(get("/v1/payments/A-9.p2").body).at("description"), "two");
  EXPECT_EQ(post("/v1/payments", payment("A-9", 700), "pay-3").status, 201);
  EXPECT_EQ(post("/v1/payments", payment("A-9", 1), "pay-4").status, 422) << "the credit limit still holds";
}

TEST_F(PaymentsServiceOnPostgres, ADomainRejectionIsStoredAndReplayedLikeASuccess) {
  open_account("A-1", 10000);
  auto const refused = post("/v1/payments", payment("A-1", 20000), "pay-big");
  EXPECT_EQ(refused.status, 422);
  EXPECT_EQ(problem_type(refused), "urn:once:problem:domain-rejection");
  EXPECT_EQ(json::parse(refused.body).at("code"), "credit_limit_exceeded");
  // The refusal is the intent's stored outcome: the repeat replays it and writes nothing.
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_intents WHERE status = 'rejected'"), 1);
  auto const again = post("/v1/payments", payment("A-1", 20000), "pay-big");
  EXPECT_EQ(again.status, 422);
  EXPECT_EQ(again.body, refused.body);
  EXPECT_EQ(again.headers["idempotent-replayed"], "true");
  EXPECT_EQ(authorized_total("A-1"), 0);
  EXPECT_EQ(rows("once_intents"), 2);
}

TEST_F(PaymentsServiceOnPostgres, TwoInstancesOnOneDatabaseDecideOnWhatTheOtherWrote) {
  // Each instance remembers the accounts it has seen; the other's writes make that memory stale.
  service_process other{PAYMENTS_SERVICE, arguments(schema)};
  auto const post_to = [&](service_process const& instance, json const& body, std::string const& key) {
    return http_client{instance.port()}.send("POST", "/v1/payments", body.dump(), write_headers(key));
  };
  open_account("A-1", 10000);
  ASSERT_EQ(post_to(service, payment("A-1", 1000), "pay-1").status, 201);  // this instance: 1,000 of 10,000
  ASSERT_EQ(post_to(other, payment("A-1", 6000), "pay-2").status, 201);    // the other: 7,000
  // On the remembered 1,000 this would pass; on the 7,000 authorized it exceeds the limit.
  auto const refused = post_to(service, payment("A-1", 5000), "pay-3");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(json::parse(refused.body).at("code"), "credit_limit_exceeded");
  auto const fits = post_to(service, payment("A-1", 3000), "pay-4");
  EXPECT_EQ(fits.status, 201) << fits.body;
  auto const repeated_elsewhere = post_to(other, payment("A-1", 3000), "pay-4");
  EXPECT_EQ(repeated_elsewhere.status, 201);
  EXPECT_EQ(repeated_elsewhere.headers["idempotent-replayed"], "true");
  EXPECT_EQ(authorized_total("A-1"), 10000);
  EXPECT_EQ(events("payments.payment_authorized"), 3);
}

TEST_F(PaymentsServiceOnPostgres, TenantsNeverSeeOrReplayEachOthersData) {
  open_account("A-1", 10000, "token-a");
  auto const paid = post("/v1/payments", payment("A-1", 2500), "pay-1", "token-a");
  ASSERT_EQ(paid.status, 201);
  auto const payment_id = json::parse(paid.body).at("payment_id").get<std::string>();

  EXPECT_EQ(get("/v1/accounts/A-1", "token-b").status, 404);
  EXPECT_EQ(get("/v1/payments/" + payment_id, "token-b").status, 404);
  // The same key and body from tenant-b is tenant-b's own intent: its account does not exist.
  auto const foreign = post("/v1/payments", payment("A-1", 2500), "pay-1", "token-b");
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.headers.count("idempotent-replayed"), 0U);
  EXPECT_EQ(json::parse(foreign.body).at("code"), "account_not_found");
  EXPECT_EQ(post("/v1/payments/" + payment_id + "/captures", {{"amount", {{"value", 100}, {"currency", "EUR"}}}},
                 "cap-1", "token-b")
                .status,
            404);
  // tenant-b may open its own A-1 with tenant-a's key: applied, not replayed.
  auto const own =
      post("/v1/accounts", {{"account_id", "A-1"}, {"currency", "EUR"}, {"credit_limit", 50}}, "open-A-1", "token-b");
  EXPECT_EQ(own.status, 201);
  EXPECT_EQ(own.headers.count("idempotent-replayed"), 0U);
  EXPECT_EQ(json::parse(get("/v1/accounts/A-1", "token-a").body).at("credit_limit").at("value"), 10000);
  EXPECT_EQ(json::parse(get("/v1/accounts/A-1", "token-b").body).at("credit_limit").at("value"), 50);
  EXPECT_EQ(authorized_total("A-1", "token-a"), 2500);
  EXPECT_EQ(authorized_total("A-1", "token-b"), 0);
}

TEST_F(PaymentsServiceOnPostgres, BadInputGetsAPreciseProblemWritesNothingAndTheServiceStaysUp) {
  open_account("A-1", 10000);
  auto const intents = rows("once_intents");
  auto const aggregates = rows("once_aggregates");
  auto const outbox = rows("once_outbox");
  std::string const good = payment("A-1", 100).dump();
  auto const with = [](headers h, std::string const& name, std::string const& value) {
    std::erase_if(h, [&](auto const& header) { return header.first == name; });
    if (!value.empty()) h.emplace_back(name, value);
    return h;
  };
  struct bad_request {
    std::string name;
    std::string method;
    std::string target;
    std::string body;
    headers h;
    int status;
    std::string type;
    std::string field;  // for invalid-request: the field named
  };
  auto const base = write_headers("bad-1");
  std::vector<bad_request> const cases{
      {"no Idempotency-Key", "POST", "/v1/payments", good, with(base, "idempotency-key", ""), 400,
       "urn:once:problem:missing-idempotency-key", ""},
      {"a key list", "POST", "/v1/payments", good, with(base, "idempotency-key", "\"a\", \"b\""), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"a key with a space", "POST", "/v1/payments", good, with(base, "idempotency-key", "a b"), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"a key with a parameter", "POST", "/v1/payments", good, with(base, "idempotency-key", "\"a\";x=1"), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"a key of 256 characters", "POST", "/v1/payments", good, with(base, "idempotency-key", std::string(256, 'k')),
       400, "urn:once:problem:malformed-idempotency-key", ""},
      {"an empty quoted key", "POST", "/v1/payments", good, with(base, "idempotency-key", "\"\""), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"no token", "POST", "/v1/payments", good, with(base, "authorization", ""), 401, "urn:once:problem:unauthorized",
       ""},
      {"an unknown token", "POST", "/v1/payments", good, with(base, "authorization", "Bearer nope"), 401,
       "urn:once:problem:unauthorized", ""},
      {"text/plain", "POST", "/v1/payments", good, with(base, "content-type", "text/plain"), 415,
       "urn:once:problem:unsupported-media-type", ""},
      {"malformed JSON", "POST", "/v1/payments", R"({"account_id":"A-1",)", base, 400,
       "urn:once:problem:malformed-json", ""},
      {"a JSON array", "POST", "/v1/payments", "[1,2]", base, 400, "urn:once:problem:invalid-request", ""},
      {"a missing field", "POST", "/v1/payments", R"({"account_id":"A-1","description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "amount"},
      {"a wrong JSON type", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":"100","currency":"EUR"},"description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "amount.value"},
      {"a fractional amount", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":1.5,"currency":"EUR"},"description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "amount.value"},
      {"a negative amount", "POST", "/v1/payments", payment("A-1", -5).dump(), base, 400,
       "urn:once:problem:invalid-request", "amount.value"},
      {"a lower-case currency", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":100,"currency":"eur"},"description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "amount.currency"},
      {"a description over 500 bytes", "POST", "/v1/payments", payment("A-1", 100, std::string(501, 'd')).dump(), base,
       400, "urn:once:problem:invalid-request", "description"},
      {"an account id with a slash", "POST", "/v1/accounts",
       R"({"account_id":"A/1","currency":"EUR","credit_limit":1})", base, 400, "urn:once:problem:invalid-request",
       "account_id"},
      {"a body id that contradicts the path", "POST", "/v1/payments/A-1.p1/captures",
       R"({"payment_id":"A-1.p2","amount":{"value":1,"currency":"EUR"}})", base, 400,
       "urn:once:problem:invalid-request", "payment_id"},
      {"deeply nested JSON", "POST", "/v1/payments", std::string(10000, '[') + std::string(10000, ']'), base, 400,
       "urn:once:problem:invalid-request", ""},
      {"a member nested deeply", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":1,"currency":"EUR","x":)" + std::string(5000, '[') +
           std::string(5000, ']') + "},\"description\":\"x\"}",
       base, 400, "urn:once:problem:invalid-request", "amount.x"},
      {"a number beyond 64 bits", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":99999999999999999999999,"currency":"EUR"},"description":"x"})", base,
       400, "urn:once:problem:invalid-request", "amount.value"},
      {"a number at the 64-bit unsigned limit", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":18446744073709551615,"currency":"EUR"},"description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "amount.value"},
      {"an unknown field", "POST", "/v1/payments",
       R"({"account_id":"A-1","amount":{"value":1,"currency":"EUR"},"description":"x","priority":"high"})", base, 400,
       "urn:once:problem:invalid-request", "priority"},
      {"a duplicate JSON key", "POST", "/v1/payments",
       R"({"account_id":"A-1","account_id":"A-2","amount":{"value":1,"currency":"EUR"},"description":"x"})", base, 400,
       "urn:once:problem:invalid-request", "account_id"},
      {"a duplicate key in a body with a path", "POST", "/v1/payments/A-1.p1/captures",
       R"({"amount":{"value":1,"value":2,"currency":"EUR"}})", base, 400, "urn:once:problem:invalid-request",
       "amount.value"},
      {"invalid UTF-8", "POST", "/v1/payments",
       "{\"account_id\":\"A-1\",\"amount\":{\"value\":1,\"currency\":\"EUR\"},\"description\":\"\xc0\xaf\"}", base, 400,
       "urn:once:problem:malformed-json", ""},
      {"an SQL-like id", "POST", "/v1/accounts",
       R"({"account_id":"A'; DROP TABLE once_intents; --","currency":"EUR","credit_limit":1})", base, 400,
       "urn:once:problem:invalid-request", "account_id"},
      {"an SQL-like key", "POST", "/v1/payments", good, with(base, "idempotency-key", "x' OR '1'='1"), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"a key with a control character", "POST", "/v1/payments", good, with(base, "idempotency-key", "\"a\tb\""), 400,
       "urn:once:problem:malformed-idempotency-key", ""},
      {"a path that climbs out", "POST", "/v1/payments/..%2F..%2Fetc/captures",
       R"({"amount":{"value":1,"currency":"EUR"}})", base, 404, "urn:once:problem:not-found", ""},
      {"a control character in a path id", "POST", "/v1/payments/A-1%0D%0AX:%20y/captures",
       R"({"amount":{"value":1,"currency":"EUR"}})", base, 400, "urn:once:problem:invalid-request", "payment_id"},
      {"an unknown route", "POST", "/v1/refunds", good, base, 404, "urn:once:problem:not-found", ""},
      {"a method the route lacks", "DELETE", "/v1/payments", good, base, 405, "urn:once:problem:method-not-allowed",
       ""},
  };
  for (auto const& bad : cases) {
    SCOPED_TRACE(bad.name);
    auto const answer = send(bad.method, bad.target, bad.body, bad.h);
    EXPECT_EQ(answer.status, bad.status) << answer.body;
    EXPECT_EQ(answer.headers["content-type"], "application/problem+json");
    auto const problem = json::parse(answer.body);
    EXPECT_EQ(problem.at("type"), bad.type);
    EXPECT_EQ(problem.at("status"), bad.status);
    EXPECT_TRUE(problem.at("title").is_string());
    EXPECT_TRUE(problem.at("detail").is_string());
    if (!bad.field.empty()) {
      EXPECT_EQ(problem.value("field", ""), bad.field);
    }
  }

  // A body over 1 MiB is refused from its headers, before it is read.
  http_client big{service.port()};
  big.send_raw(
      "POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\nIdempotency-Key: big\r\n"
      "Content-Type: application/json\r\nContent-Length: 2000000\r\n\r\n");
  auto const too_large = big.receive();
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(problem_type(too_large), "urn:once:problem:payload-too-large");
  // Oversized headers are cut off, and so are ten thousand small ones.
  EXPECT_EQ(
      send("GET", "/v1/accounts/A-1", {}, {{"authorization", "Bearer token-a"}, {"x-pad", std::string(20000, 'p')}})
          .status,
      431);
  std::string many = "GET /v1/accounts/A-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\n";
  for (int i = 0; i < 10000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  http_client crowded{service.port()};
  crowded.try_send_raw(many + "\r\n");  // the server stops reading at its header limit
  EXPECT_EQ(crowded.receive().status, 431);
  // A header line split by a bare line feed does not smuggle a second header in.
  http_client smuggled{service.port()};
  smuggled.send_raw(
      "POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\nContent-Type: application/json\r\n"
      "Idempotency-Key: a\nX-Evil: b\r\nContent-Length: " +
      std::to_string(good.size()) + "\r\n\r\n" + good);
  EXPECT_EQ(smuggled.receive().status, 400);
  // A chunked body that never ends is refused at the body limit, not read forever.
  http_client endless{service.port()};
  endless.send_raw(
      "POST /v1/payments HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-a\r\nIdempotency-Key: endless\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  std::string const chunk = "400\r\n" + std::string(1024, ' ') + "\r\n";
  for (int i = 0; i < 1100 && endless.try_send_raw(chunk); ++i) {
  }
  auto const cut = endless.receive();
  EXPECT_EQ(cut.status, 413);

  EXPECT_EQ(rows("once_intents"), intents);
  EXPECT_EQ(rows("once_aggregates"), aggregates);
  EXPECT_EQ(rows("once_outbox"), outbox);
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(post("/v1/payments", payment("A-1", 100), "bad-1").status, 201) << "the key is still free";
}

// Connections that say nothing cost the service a descriptor each, up to its
// cap; past it the longest idle is closed. Ten thousand of them neither stop it
// from answering nor leave it unable to answer once they are gone.
TEST_F(PaymentsServiceOnPostgres, TenThousandIdleConnectionsNeitherStopItAnsweringNorOutliveTheirWelcome) {
  constexpr int idle_count = 10000;
  rlimit descriptors{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &descriptors), 0);
  descriptors.rlim_cur = std::max<rlim_t>(descriptors.rlim_cur, std::min<rlim_t>(descriptors.rlim_max, 2 * idle_count));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &descriptors), 0);
  ASSERT_GE(descriptors.rlim_cur, rlim_t{idle_count + 100}) << "this test needs 10,100 descriptors";

  std::vector<int> idle;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(service.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < idle_count; ++i) {
    int const fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    // Non-blocking: connections past the listen backlog wait in the kernel like any crowd.
    (void)::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address);
    idle.push_back(fd);
  }
  auto const crowded = send_until_answered(service.port(), "POST", "/v1/accounts",
                                           R"({"account_id":"A-9","currency":"EUR","credit_limit":1})",
                                           write_headers("open-while-crowded"));
  ASSERT_TRUE(crowded.has_value());
  EXPECT_EQ(crowded->status, 201) << crowded->body;
  for (int fd : idle) ::close(fd);
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(authorized_total("A-9"), 0);
}

// Sends a whole request and hangs up at once with a reset (SO_LINGER 0),
// after `pause_us` microseconds: the service is mid-command when it notices.
void send_and_hang_up(std::uint16_t port, std::string const& request, int pause_us) {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr const*>(&address), sizeof address), 0);
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
  if (pause_us > 0) std::this_thread::sleep_for(std::chrono::microseconds{pause_us});
  linger const abort_on_close{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  ::close(fd);
}

TEST_F(PaymentsServiceOnPostgres, ClientsThatHangUpMidCommandLeaveEachPaymentAppliedOnceOrNotAtAll) {
  open_account("A-1", 100000000);
  constexpr int payments = 160;
  constexpr int threads = 8;
  auto const request_for = [](int i) {
    auto const body = payment("A-1", 10 + i).dump();
    return "POST /v1/payments HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
           "authorization: Bearer token-a\r\nidempotency-key: hang-" +
           std::to_string(i) + "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      // Hang-ups spread from right after the request to well into its command.
      for (int i = t; i < payments; i += threads) send_and_hang_up(service.port(), request_for(i), (i * 37) % 3000);
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_LE(events("payments.payment_authorized"), payments);

  // Each client retries with its key: an intent applied after the hang-up is
  // replayed, one that was not is applied now (a command still running answers
  // 409 in flight until it ends); none twice.
  std::int64_t expected_total = 0;
  for (int i = 0; i < payments; ++i) {
    http_answer retried;
    ASSERT_TRUE(once::testing::eventually(
        [&] {
          retried = post("/v1/payments", payment("A-1", 10 + i), "hang-" + std::to_string(i));
          return retried.status != 409;
        },
        std::chrono::seconds{30}));
    ASSERT_EQ(retried.status, 201) << retried.body;
    expected_total += 10 + i;
  }
  EXPECT_EQ(events("payments.payment_authorized"), payments);
  EXPECT_EQ(authorized_total("A-1"), expected_total);
}

TEST_F(PaymentsServiceOnPostgres, ProbesAndMetricsAnswerWithoutAToken) {
  open_account("A-1", 10000);
  ASSERT_EQ(post("/v1/payments", payment("A-1", 100), "pay-1").status, 201);
  ASSERT_EQ(post("/v1/payments", payment("A-1", 100), "pay-1").status, 201);
  ASSERT_EQ(post("/v1/payments", payment("A-1", 200), "pay-1").status, 422);
  EXPECT_EQ(send("GET", "/healthz", {}, {}).status, 200);
  EXPECT_EQ(send("GET", "/readyz", {}, {}).status, 200);
  auto const metrics = send("GET", "/metrics", {}, {});
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  for (std::string const series :
       {R"(once_commands_total{command_type="payments.authorize_payment",outcome="applied"} 1)",
        R"(once_commands_total{command_type="payments.authorize_payment",outcome="replayed"} 1)",
        R"(once_replays_total{command_type="payments.authorize_payment"} 1)",
        R"(once_intent_conflicts_total{command_type="payments.authorize_payment"} 1)",
        R"(once_command_duration_seconds_count{command_type="payments.authorize_payment"} 3)"}) {
    EXPECT_NE(metrics.body.find(series), std::string::npos) << series << "\n" << metrics.body;
  }
}

TEST_F(PaymentsServiceOnPostgres, EveryRequestIsLoggedWithItsIntentAndNoPaymentData) {
  open_account("A-1", 1'000'000'000);
  ASSERT_EQ(post("/v1/payments", payment("A-1", 864297531, "private note"), "pay-1").status, 201);
  bool found = false;
  for (auto const& line : service.log_lines()) {
    EXPECT_EQ(line.dump().find("private note"), std::string::npos);
    EXPECT_EQ(line.dump().find("864297531"), std::string::npos);
    EXPECT_EQ(line.dump().find("token-a"), std::string::npos);
    if (line.value("intent", "") == "tenant-a:payments.authorize_payment:pay-1") {
      found = true;
      EXPECT_EQ(line.at("status"), 201);
      EXPECT_EQ(line.at("outcome"), "applied");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(PaymentsServiceOnPostgres, KilledWithSigkillUnderLoadThenRetriedGivesExactlyOnceTotals) {
  open_account("A-1", 1'000'000'000);
  constexpr int clients = 8;
  constexpr int payments_each = 40;
  std::atomic<int> answered{0};
  std::mutex mutex;
  std::map<std::string, std::string> first_answers;  // key -> body
  std::int64_t expected_total = 0;
  for (int c = 0; c < clients; ++c) {
    for (int i = 0; i < payments_each; ++i) expected_total += 1 + c * 1000 + i;
  }

  std::vector<std::thread> senders;
  for (int c = 0; c < clients; ++c) {
    senders.emplace_back([&, c] {
      for (int i = 0; i < payments_each; ++i) {
        auto const key = "kill-" + std::to_string(c) + "-" + std::to_string(i);
        auto const answer = send_until_answered(service.port(), "POST", "/v1/payments",
                                                payment("A-1", 1 + c * 1000 + i).dump(), write_headers(key));
        ASSERT_TRUE(answer.has_value()) << key << " never got an answer";
        ASSERT_EQ(answer->status, 201) << key << ": " << answer->body;
        std::lock_guard lock(mutex);
        first_answers.emplace(key, answer->body);
        ++answered;
      }
    });
  }
  // Kill the service twice while requests are in flight; a supervisor restarts it on the same port.
  for (int const after : {60, 180}) {
    while (answered < after) std::this_thread::yield();
    service.kill_hard();
    service.restart();
  }
  for (auto& sender : senders) sender.join();
  ASSERT_EQ(first_answers.size(), static_cast<std::size_t>(clients * payments_each));

  EXPECT_EQ(authorized_total("A-1"), expected_total);
  EXPECT_EQ(events("payments.payment_authorized"), clients * payments_each);
  std::set<std::string> payment_ids;
  for (auto const& [key, body] : first_answers) payment_ids.insert(json::parse(body).at("payment_id"));
  EXPECT_EQ(payment_ids.size(), first_answers.size());
  // Every answer a client got, even from a process that was then killed, is what a retry replays.
  for (auto const& [key, body] : first_answers) {
    auto const c = std::stoi(key.substr(5, key.find('-', 5) - 5));
    auto const i = std::stoi(key.substr(key.rfind('-') + 1));
    auto const again = post("/v1/payments", payment("A-1", 1 + c * 1000 + i), key);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, body) << key;
  }
}

}  // namespace
}  // namespace payments_tests
