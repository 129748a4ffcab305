// legacy-facade-service and legacy-core as processes, on a real PostgreSQL,
// over real sockets: the core books every call (it is not idempotent) and
// fails in every way it knows, the facade is killed mid-call, clients retry
// and repeat — and the core ends with exactly one booking per transfer.
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/http_client.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace legacy_facade_tests {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct core_options {
  double fault_rate = 0;
  int hang_ms = 3000;
  int late_ms = 300;
};

class LegacyFacade : public ::testing::Test {
 protected:
  void start_core(core_options options = {}) {
    core_ = std::make_unique<once::testing::child_process>(
        LEGACY_CORE, std::vector<std::string>{
                         "--listen", "127.0.0.1:0", "--fault-rate", std::to_string(options.fault_rate), "--seed", "7",
                         "--hang-ms", std::to_string(options.hang_ms), "--late-ms", std::to_string(options.late_ms)});
    auto const listening = once::testing::await_log_event(*core_, "listening", 10s);
    if (!listening) throw std::runtime_error("legacy-core did not start");
    auto const address = listening->at("address").get<std::string>();
    core_port_ = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
  }
  void start_facade(std::vector<std::string> extra = {}, std::string const& legacy_timeout_ms = "500") {
    std::vector<std::string> arguments{"--store",
                                       "postgres",
                                       "--database-url",
                                       schema.url(),
                                       "--schema",
                                       schema.name(),
                                       "--auth-token",
                                       "secret:tenant-a",
                                       "--auth-token",
                                       "other:tenant-b",
                                       "--operator-token",
                                       "operator",
                                       "--legacy-url",
                                       "http://127.0.0.1:" + std::to_string(core_port_),
                                       "--legacy-timeout-ms",
                                       legacy_timeout_ms,
                                       "--grace-ms",
                                       "1000",
                                       "--recovery-interval-ms",
                                       "200"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    facade = std::make_unique<once::testing::service_process>(LEGACY_FACADE, arguments);
  }

  static json transfer_body(std::string const& from, std::int64_t amount) {
    return {{"from_account", from}, {"to_account", "ACC-2"}, {"amount", {{"value", amount}, {"currency", "EUR"}}}};
  }
  std::optional<once::testing::http_answer> send_transfer(std::string const& key, json const& body,
                                                          std::string const& token = "secret") {
    return once::testing::send_until_answered(
        facade->port(), "POST", "/v1/transfers", body.dump(),
        {{"authorization", "Bearer " + token}, {"content-type", "application/json"}, {"idempotency-key", key}});
  }
  once::testing::http_answer get(std::string const& target, std::string const& token = "secret") {
    return once::testing::http_client{facade->port()}.send("GET", target, "", {{"authorization", "Bearer " + token}});
  }
  // What the core holds: its bookings by reference.
  std::map<std::string, std::vector<json>> core_bookings() {
    auto const answer = once::testing::http_client{core_port_}.send("GET", "/legacy/transfers");
    std::map<std::string, std::vector<json>> by_reference;
    for (auto const& booking : json::parse(answer.body)) {
      by_reference[booking.at("reference").get<std::string>()].push_back(booking);
    }
    return by_reference;
  }
  void queue_faults(std::vector<std::string> const& faults) {
    auto const answer =
        once::testing::http_client{core_port_}.send("POST", "/legacy/faults", json{{"next", faults}}.dump());
    if (answer.status != 202) throw std::runtime_error("legacy-core refused the faults");
  }
  // A text field of an answer ("status" is a number in a problem), or "".
  static std::string text(json const& answer, char const* field) {
    auto const found = answer.find(field);
    return found != answer.end() && found->is_string() ? found->get<std::string>() : std::string{};
  }
  // The transfer's state as a repeat of its request answers it (a repeat never calls the core).
  json current(std::string const& key, json const& body) {
    auto const answer = send_transfer(key, body);
    return answer ? json::parse(answer->body) : json{};
  }

  once::testing::pg_schema schema;
  std::unique_ptr<once::testing::child_process> core_;
  unsigned short core_port_ = 0;
  std::unique_ptr<once::testing::service_process> facade;
};

TEST_F(LegacyFacade, TwoHundredTransfersWithRetriesDuplicatesAndEveryFaultEndWithOneBookingEach) {
  start_core({.fault_rate = 0.3, .hang_ms = 1500, .late_ms = 300});
  start_facade();
  constexpr int transfers = 200;
  std::vector<json> bodies;
  for (int i = 0; i < transfers; ++i) {
    bodies.push_back(transfer_body(i % 20 == 7 ? "BLOCKED-" + std::to_string(i) : "ACC-" + std::to_string(i), 100 + i));
  }
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 random{static_cast<unsigned>(c)};
      for (int i = next++; i < transfers; i = next++) {
        int const copies = 1 + static_cast<int>(random() % 3);  // double clicks and impatient retries
        for (int copy = 0; copy < copies; ++copy)
          (void)send_transfer("T-" + std::to_string(i), bodies[static_cast<std::size_t>(i)]);
      }
    });
  }
  for (auto& client : clients) client.join();

  // Recovery settles every transfer without an operator.
  std::map<int, json> settled;
  EXPECT_TRUE(once::testing::eventually(
      [&] {
        for (int i = 0; i < transfers; ++i) {
          if (settled.contains(i)) continue;
          auto const state = current("T-" + std::to_string(i), bodies[static_cast<std::size_t>(i)]);
          auto const status = text(state, "status");
          if (status == "completed" || text(state, "code") == "refused_by_core") settled[i] = state;
        }
        return settled.size() == transfers;
      },
      90s, 500ms))
      << settled.size() << " of " << transfers << " settled";

  auto const bookings = core_bookings();
  int completed = 0;
  for (auto const& [i, state] : settled) {
    if (bodies[static_cast<std::size_t>(i)].at("from_account").get<std::string>().rfind("BLOCKED", 0) == 0) {
      EXPECT_EQ(text(state, "code"), "refused_by_core") << i;
      continue;
    }
    ++completed;
    auto const reference = state.at("reference").get<std::string>();
    ASSERT_TRUE(bookings.contains(reference)) << "transfer " << i << " was never booked";
    EXPECT_EQ(bookings.at(reference).size(), 1U) << "transfer " << i << " was booked twice";
    EXPECT_EQ(bookings.at(reference).front().at("transfer_no"), state.at("legacy_transfer_no")) << i;
  }
  EXPECT_EQ(completed, transfers - transfers / 20);
  std::size_t total = 0;
  for (auto const& [reference, list] : bookings) total += list.size();
  EXPECT_EQ(total, static_cast<std::size_t>(completed)) << "the core holds bookings no transfer accounts for";
}

TEST_F(LegacyFacade, AFacadeKilledAfterTheCoreBookedIsRecoveredWithoutASecondBooking) {
  start_core({.hang_ms = 3000});
  start_facade({"--lease-ms", "6000"}, "5000");
  queue_faults({"hang_after_booking"});
  auto const body = transfer_body("ACC-1", 500);
  std::thread call{[&] {
    try {
      (void)once::testing::http_client{facade->port()}.send(
          "POST", "/v1/transfers", body.dump(),
          {{"authorization", "Bearer secret"}, {"content-type", "application/json"}, {"idempotency-key", "K-1"}});
    } catch (std::exception const&) {
      // the facade dies under this request
    }
  }};
  ASSERT_TRUE(once::testing::await_log_event(*core_, "booked", 10s)) << "the core never received the call";
  facade->kill_hard();  // between the core's booking and the facade's record of it
  call.join();
  facade->restart();
  EXPECT_TRUE(
      once::testing::eventually([&] { return text(current("K-1", body), "status") == "completed"; }, 30s, 200ms));
  auto const state = current("K-1", body);
  auto const bookings = core_bookings();
  ASSERT_EQ(bookings.size(), 1U);
  EXPECT_EQ(bookings.begin()->first, state.at("reference"));
  EXPECT_EQ(bookings.begin()->second.size(), 1U);
  EXPECT_EQ(bookings.begin()->second.front().at("transfer_no"), state.at("legacy_transfer_no"));
}

TEST_F(LegacyFacade, AFacadeKilledWhileTheCoreHeldTheCallWithoutBookingBooksItOnceAfterRecovery) {
  start_core({.hang_ms = 2000});
  start_facade({"--lease-ms", "6000"}, "5000");
  queue_faults({"hang_without_booking"});
  auto const body = transfer_body("ACC-1", 700);
  std::thread call{[&] {
    try {
      (void)once::testing::http_client{facade->port()}.send(
          "POST", "/v1/transfers", body.dump(),
          {{"authorization", "Bearer secret"}, {"content-type", "application/json"}, {"idempotency-key", "K-2"}});
    } catch (std::exception const&) {
    }
  }};
  // The intent is claimed (pending) and its call is inside the core, which holds it without booking.
  ASSERT_TRUE(once::testing::await_log_event(*core_, "received", 10s)) << "the core never received the call";
  EXPECT_EQ(schema.scalar("SELECT count(*) FROM ${schema}.once_external_steps WHERE status = 'pending'"), 1);
  facade->kill_hard();
  call.join();
  facade->restart();
  EXPECT_TRUE(
      once::testing::eventually([&] { return text(current("K-2", body), "status") == "completed"; }, 30s, 200ms));
  auto const bookings = core_bookings();
  ASSERT_EQ(bookings.size(), 1U);
  EXPECT_EQ(bookings.begin()->second.size(), 1U);
}

TEST_F(LegacyFacade, ADoubleBookingGoesToTheExceptionQueueWhichTenantsSeeAndResolveForThemselvesOnly) {
  start_core();
  start_facade();
  queue_faults({"close_after_booking"});
  auto const body = transfer_body("ACC-1", 900);
  auto const first = send_transfer("K-3", body);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 202);
  auto const reference = json::parse(first->body).at("reference").get<std::string>();
  // Someone books the same reference on the core directly: it now holds two.
  auto const direct = once::testing::http_client{core_port_}.send(
      "POST", "/legacy/transfers",
      json{{"reference", reference}, {"from_account", "ACC-1"}, {"to_account", "ACC-2"}, {"amount_cents", 900}}.dump());
  ASSERT_EQ(direct.status, 200);
  EXPECT_TRUE(
      once::testing::eventually([&] { return text(current("K-3", body), "status") == "needs_review"; }, 20s, 200ms));
  EXPECT_EQ(current("K-3", body).value("legacy_transfer_nos", json::array()).size(), 2U);

  auto const mine = json::parse(get("/v1/exceptions").body).at("exceptions");
  ASSERT_EQ(mine.size(), 1U);
  EXPECT_EQ(mine[0].at("reason"), "double_booking");
  EXPECT_EQ(mine[0].at("status"), "open");
  EXPECT_EQ(mine[0].at("evidence").at("records").size(), 2U);
  EXPECT_TRUE(json::parse(get("/v1/exceptions", "other").body).at("exceptions").empty());
  EXPECT_EQ(json::parse(get("/v1/exceptions", "operator").body).at("exceptions").size(), 1U);

  auto const id = std::to_string(mine[0].at("id").get<std::int64_t>());
  auto resolve = [&](std::string const& token) {
    return once::testing::http_client{facade->port()}.send(
        "POST", "/v1/exceptions/" + id + "/resolution", json{{"note", "reversed transfer 2"}}.dump(),
        {{"authorization", "Bearer " + token}, {"content-type", "application/json"}});
  };
  EXPECT_EQ(resolve("other").status, 404);
  auto const resolved = resolve("secret");
  EXPECT_EQ(resolved.status, 200);
  EXPECT_EQ(json::parse(resolved.body).at("note"), "reversed transfer 2");
  EXPECT_EQ(json::parse(get("/v1/exceptions").body).at("exceptions")[0].at("status"), "resolved");
}

TEST_F(LegacyFacade, ObserveModeBooksEveryDuplicateAndCountsItThenEnforceModeReplaysTheRecord) {
  start_core();
  start_facade({"--mode", "observe"});
  auto const body = transfer_body("ACC-1", 300);
  auto const first = send_transfer("K-4", body);
  auto const second = send_transfer("K-4", body);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 201);
  EXPECT_EQ(second->status, 201);
  EXPECT_EQ(second->headers.count("Idempotent-Replayed"), 0U);
  auto const reference = json::parse(first->body).at("reference").get<std::string>();
  EXPECT_EQ(core_bookings().at(reference).size(), 2U) << "observe mode changes no answer: the duplicate books again";
  auto const metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("once_observe_would_replay_total{route=\"POST /v1/transfers\"} 1"), std::string::npos)
      << metrics;

  facade->kill_hard();
  start_facade({"--mode", "enforce"});
  auto const enforced = send_transfer("K-4", body);
  ASSERT_TRUE(enforced.has_value());
  EXPECT_EQ(enforced->status, 201);
  EXPECT_EQ(enforced->headers["Idempotent-Replayed"], "true");
  EXPECT_EQ(json::parse(enforced->body).at("legacy_transfer_no"), json::parse(first->body).at("legacy_transfer_no"));
  EXPECT_EQ(core_bookings().at(reference).size(), 2U);
}

// once-admin's output, and whether it exited 0.
std::pair<std::string, bool> run_admin(std::string const& arguments) {
  std::string text;
  FILE* pipe = popen((std::string{ONCE_ADMIN} + ' ' + arguments + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {"", false};
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe) != nullptr) text += buffer;
  int const status = pclose(pipe);
  return {text, WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

std::string iso_utc(std::chrono::system_clock::time_point at) {
  auto const seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A second legacy-core whose listing a test plants, with the facade's reconciliation job pointed at it.
class planted_listing {
 public:
  explicit planted_listing(once::testing::pg_schema const& schema) : schema_(schema) {
    auto const listening = once::testing::await_log_event(core_, "listening", 10s);
    if (!listening) throw std::runtime_error("the planted legacy-core did not start");
    auto const address = listening->at("address").get<std::string>();
    port_ = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));
    (void)schema_.scalar(
        "WITH changed AS (UPDATE ${schema}.once_reconciliation_jobs SET listing_url = "
        "'http://127.0.0.1:" +
        std::to_string(port_) +
        "/legacy/transfers?since={from}' WHERE name = 'legacy-transfers' RETURNING 1) "
        "SELECT count(*) FROM changed");
  }

  /// A booking of `reference` on the planted core; its HTTP status.
  int book(std::string const& reference, std::int64_t amount) const {
    return once::testing::http_client{port_}
        .send(
            "POST", "/legacy/transfers",
            json{{"reference", reference}, {"from_account", "ACC-1"}, {"to_account", "ACC-2"}, {"amount_cents", amount}}
                .dump())
        .status;
  }

  /// `once-admin reconcile` over the two hours around now: its output, and whether it exited 0.
  std::pair<std::string, bool> reconcile() const {
    auto const now = std::chrono::system_clock::now();
    return run_admin("reconcile --database-url '" + schema_.url() + "' --schema " + schema_.name() +
                     " --job legacy-transfers --from " + iso_utc(now - 1h) + " --to " + iso_utc(now + 1h));
  }

 private:
  once::testing::pg_schema const& schema_;
  once::testing::child_process core_{LEGACY_CORE, {"--listen", "127.0.0.1:0"}};
  unsigned short port_ = 0;
};

TEST_F(LegacyFacade, AReconciliationRunOverAPlantedListingFindsExactlyThePlantedDifferences) {
  start_core();
  start_facade();
  auto const body = [](std::int64_t amount) { return transfer_body("ACC-1", amount); };
  std::map<std::string, std::string> reference_of;
  for (auto const& [key, amount] :
       std::vector<std::pair<std::string, std::int64_t>>{{"R-1", 100}, {"R-2", 200}, {"R-3", 300}}) {
    auto const answer = send_transfer(key, body(amount));
    ASSERT_TRUE(answer && answer->status == 201);
    reference_of[key] = json::parse(answer->body).at("reference").get<std::string>();
  }
  // The planted listing: another core that holds R-1 as booked, R-2 with another amount, no R-3, and a stranger.
  planted_listing planted{schema};
  ASSERT_EQ(planted.book(reference_of["R-1"], 100), 200);
  ASSERT_EQ(planted.book(reference_of["R-2"], 250), 200);
  ASSERT_EQ(planted.book("stranger-reference", 999), 200);

  auto const [summary, ran] = planted.reconcile();
  ASSERT_TRUE(ran) << summary;
  EXPECT_NE(summary.find("matched          1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("mismatched       1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("missing_theirs   1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("missing_ours     1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("unresolved       0"), std::string::npos) << summary;

  std::map<std::string, std::string> mine;
  auto const listed = json::parse(get("/v1/exceptions").body);
  for (auto const& entry : listed.at("exceptions")) {
    mine[entry.at("subject").get<std::string>()] = entry.at("reason").get<std::string>();
  }
  EXPECT_EQ(mine, (std::map<std::string, std::string>{{reference_of["R-2"], "mismatch"},
                                                      {reference_of["R-3"], "missing_on_their_side"}}));
  auto const everyone = json::parse(get("/v1/exceptions", "operator").body).at("exceptions");
  EXPECT_EQ(everyone.size(), 3U);  // and the stranger, which names no tenant

  auto const id = schema.scalar("SELECT id FROM ${schema}.once_exceptions WHERE reason = 'mismatch'");
  auto const [resolved, resolved_ok] =
      run_admin("exceptions resolve " + std::to_string(id) + " --note 'amount corrected on the core' --database-url '" +
                schema.url() + "' --schema " + schema.name());
  ASSERT_TRUE(resolved_ok) << resolved;
  auto const after = json::parse(get("/v1/exceptions").body);
  for (auto const& entry : after.at("exceptions")) {
    if (entry.at("reason") == "mismatch") {
      EXPECT_EQ(entry.at("note"), "amount corrected on the core");
    }
  }
  auto const metrics = get("/metrics").body;
  EXPECT_NE(metrics.find(R"(once_reconciliation_results{job="legacy-transfers",kind="mismatched"} 1)"),
            std::string::npos)
      << metrics;
}

// Two tenants send the same key and the same body: two intents, two references. A listing that holds
// only the first tenant's booking matches it, and the second tenant's transfer is reported missing in the
// second tenant's queue alone: reconciliation never takes one tenant's record for another's intent.
TEST_F(LegacyFacade, AReconciliationRunMatchesEachTenantsTransfersOnlyWithItsOwnReferences) {
  start_core();
  start_facade();
  auto const body = transfer_body("ACC-1", 100);
  auto const of_a = send_transfer("R-1", body);
  auto const of_b = send_transfer("R-1", body, "other");
  ASSERT_TRUE(of_a && of_a->status == 201 && of_b && of_b->status == 201);
  auto const reference_of_a = json::parse(of_a->body).at("reference").get<std::string>();
  auto const reference_of_b = json::parse(of_b->body).at("reference").get<std::string>();
  ASSERT_NE(reference_of_a, reference_of_b);

  planted_listing planted{schema};
  ASSERT_EQ(planted.book(reference_of_a, 100), 200);

  auto const [summary, ran] = planted.reconcile();
  ASSERT_TRUE(ran) << summary;
  EXPECT_NE(summary.find("matched          1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("missing_theirs   1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("missing_ours     0"), std::string::npos) << summary;

  EXPECT_TRUE(json::parse(get("/v1/exceptions").body).at("exceptions").empty());
  auto const seen_by_b = json::parse(get("/v1/exceptions", "other").body).at("exceptions");
  ASSERT_EQ(seen_by_b.size(), 1U);
  EXPECT_EQ(seen_by_b[0].at("subject"), reference_of_b);
  EXPECT_EQ(seen_by_b[0].at("reason"), "missing_on_their_side");
  auto const [listed_for_a, listed] =
      run_admin("exceptions list --tenant tenant-a --database-url '" + schema.url() + "' --schema " + schema.name());
  ASSERT_TRUE(listed) << listed_for_a;
  EXPECT_NE(listed_for_a.find("0 exception(s)"), std::string::npos) << listed_for_a;
  auto const [listed_for_b, listed_b] =
      run_admin("exceptions list --tenant tenant-b --database-url '" + schema.url() + "' --schema " + schema.name());
  ASSERT_TRUE(listed_b) << listed_for_b;
  EXPECT_NE(listed_for_b.find(reference_of_b), std::string::npos) << listed_for_b;
  EXPECT_NE(listed_for_b.find("1 exception(s)"), std::string::npos) << listed_for_b;
}

TEST_F(LegacyFacade, ARefusalByTheCoreIsAnsweredAndReplayedAs422WithTheFailedTransfersLocation) {
  start_core();
  start_facade();
  auto const body = transfer_body("BLOCKED-7", 100);
  auto const first = send_transfer("K-5", body);
  auto const repeat = send_transfer("K-5", body);
  ASSERT_TRUE(first && repeat);
  EXPECT_EQ(first->status, 422);
  EXPECT_EQ(json::parse(first->body).at("code"), "refused_by_core");
  EXPECT_EQ(repeat->status, 422);
  EXPECT_EQ(repeat->headers["Idempotent-Replayed"], "true");
  auto const location = std::string{first->headers["Location"]};
  ASSERT_FALSE(location.empty());
  EXPECT_EQ(std::string{repeat->headers["Location"]}, location);
  auto const transfer = json::parse(get(location).body);
  EXPECT_EQ(transfer.at("status"), "failed");
  EXPECT_EQ(transfer.at("code"), "refused_by_core");
  EXPECT_TRUE(core_bookings().empty());
}

TEST_F(LegacyFacade, EveryOtherPathGoesToTheCoreUnchangedForACallerWithAToken) {
  start_core();
  start_facade();
  auto const listed = get("/legacy/transfers?since=2000-01-01T00:00:00Z");
  EXPECT_EQ(listed.status, 200);
  EXPECT_TRUE(json::parse(listed.body).is_array());
  EXPECT_EQ(get("/legacy/nothing-here").status, 404);
  EXPECT_EQ(once::testing::http_client{facade->port()}.send("GET", "/legacy/transfers").status, 401);
}

}  // namespace
}  // namespace legacy_facade_tests
