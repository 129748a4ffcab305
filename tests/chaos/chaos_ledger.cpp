// The chaos ledger: every example service at once — payments-service,
// inventory-service, claims-service with its relay and fraud-screening on the
// Kafka mock cluster, legacy-facade-service in front of legacy-core — on one
// throwaway PostgreSQL, with clients sending intents, retries and deliberate
// duplicates over HTTP, and a Kafka client sending copies of published events
// and messages that cannot be decoded, while faults land at random: SIGKILL
// of a service or the consumer, PostgreSQL restarted, backends terminated,
// the brokers taken down and brought back, the legacy core's faults. Then
// every intent is asked again, the books are read, and a ledger is printed.
// Exit status 1 names every intent lost or doubled.
//
//   once_chaos_ledger --seconds N --postgres-dir DIR     (scripts/chaos runs it)
//
// DATABASE_URL names the server; DIR is its throwaway-postgres directory, for
// restarts. legacy-core keeps its bookings in memory, so it is faulted through
// its own fault queue and never killed: its bookings are the other side's
// books that the ledger checks.
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafkacpp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <once/testing/child_process.hpp>
#include <once/testing/eventually.hpp>
#include <once/testing/http_client.hpp>
#include <once/testing/kafka_topic.hpp>
#include <once/testing/pg_schema.hpp>
#include <once/testing/retrying_http_client.hpp>
#include <once/testing/service_process.hpp>

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using headers = std::vector<std::pair<std::string, std::string>>;
using clock_type = std::chrono::steady_clock;

// Counts the ledger prints, by row; safe from every client and the fault thread.
class ledger {
 public:
  void add(std::string const& row, std::int64_t by = 1) {
    std::lock_guard lock{mutex_};
    rows_[row] += by;
  }
  void problem(std::string const& what) {
    std::lock_guard lock{mutex_};
    problems_.push_back(what);
  }
  [[nodiscard]] std::int64_t get(std::string const& row) const {
    std::lock_guard lock{mutex_};
    auto const found = rows_.find(row);
    return found == rows_.end() ? 0 : found->second;
  }
  [[nodiscard]] std::map<std::string, std::int64_t> rows() const {
    std::lock_guard lock{mutex_};
    return rows_;
  }
  [[nodiscard]] std::vector<std::string> problems() const {
    std::lock_guard lock{mutex_};
    return problems_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> rows_;
  std::vector<std::string> problems_;
};

// One intent as a client sent it: where, what, and what it was first told.
struct intent {
  std::string service;
  std::string name;  // what the ledger calls it when it is lost or doubled
  std::string method;
  std::string target;
  std::string body;
  headers sent_with;
  std::optional<json> acknowledged;  // the first 2xx answer
};

headers with_token(std::string const& key = {}) {
  headers h{{"authorization", "Bearer secret"}, {"content-type", "application/json"}};
  if (!key.empty()) h.emplace_back("idempotency-key", key);
  return h;
}

bool replayed(once::testing::http_answer const& answer) {
  auto const found = answer.headers.find("idempotent-replayed");
  return found != answer.headers.end() && found->value() == "true";
}

// The processes, and the faults that can be done to them.
class world {
 public:
  // shared_commits: every service's --shared-commits; absent, their default.
  world(std::string postgres_dir, std::optional<int> shared_commits)
      : postgres_dir_(std::move(postgres_dir)), shared_commits_(shared_commits) {
    auto const listening = once::testing::await_log_event(*kafka_, "listening", 20s);
    if (!listening) throw std::runtime_error("once-kafka-mock did not start");
    brokers_ = listening->at("bootstrap_servers").get<std::string>();
    core_ = std::make_unique<once::testing::child_process>(
        LEGACY_CORE, std::vector<std::string>{"--listen", "127.0.0.1:0", "--hang-ms", "1500", "--late-ms", "300"});
    auto const core_listening = once::testing::await_log_event(*core_, "listening", 20s);
    if (!core_listening) throw std::runtime_error("legacy-core did not start");
    auto const address = core_listening->at("address").get<std::string>();
    core_port_ = static_cast<unsigned short>(std::stoi(address.substr(address.rfind(':') + 1)));

    payments = std::make_unique<once::testing::service_process>(PAYMENTS_SERVICE, service_arguments(payments_schema));
    inventory =
        std::make_unique<once::testing::service_process>(INVENTORY_SERVICE, service_arguments(inventory_schema));
    auto claims_arguments = service_arguments(claims_schema);
    claims_arguments.insert(claims_arguments.end(), {"--brokers", brokers_});
    claims = std::make_unique<once::testing::service_process>(CLAIMS_SERVICE, claims_arguments);
    start_screening();
    auto facade_arguments = service_arguments(facade_schema);
    facade_arguments.insert(facade_arguments.end(),
                            {"--legacy-url", "http://127.0.0.1:" + std::to_string(core_port_), "--legacy-timeout-ms",
                             "500", "--grace-ms", "1000", "--recovery-interval-ms", "200"});
    facade = std::make_unique<once::testing::service_process>(LEGACY_FACADE, facade_arguments);
  }

  ~world() {
    if (screening_) harvest_screening();
  }

  // One fault at random; its kind is counted in the ledger.
  void inject(std::mt19937& random, ledger& books) {
    switch (random() % 8) {
      case 0:
        kill_and_restart(*payments, "payments-service", books);
        break;
      case 1:
        kill_and_restart(*inventory, "inventory-service", books);
        break;
      case 2:
        kill_and_restart(*claims, "claims-service", books);
        break;
      case 3: {
        std::lock_guard lock{screening_mutex_};
        screening_->kill_hard();
        (void)screening_->wait_for_exit();
        harvest_screening();
        start_screening();
        books.add("fault: SIGKILL fraud-screening");
        break;
      }
      case 4:
        kill_and_restart(*facade, "legacy-facade-service", books);
        break;
      case 5: {
        std::string const restart = std::string{ONCE_THROWAWAY_POSTGRES} + " restart '" + postgres_dir_ + "' immediate";
        if (std::system(restart.c_str()) == 0) books.add("fault: PostgreSQL restarted (immediate)");
        break;
      }
      case 6:
        // Every client backend of the database but this one: the services' pools and the relay's connection.
        (void)payments_schema.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            "datname = current_database() AND backend_type = 'client backend'");
        books.add("fault: backends terminated");
        break;
      default: {
        signal_kafka(SIGUSR1, "brokers_down");
        std::this_thread::sleep_for(std::chrono::milliseconds{500 + random() % 2000});
        signal_kafka(SIGUSR2, "brokers_up");
        books.add("fault: brokers down and back");
        break;
      }
    }
    if (random() % 2 == 0) {
      static constexpr char const* core_faults[] = {"hang_after_booking",  "close_after_booking",
                                                    "fail_after_booking",  "fail_before_booking",
                                                    "fail_then_book_late", "hang_without_booking"};
      auto const fault = core_faults[random() % std::size(core_faults)];
      auto const queued =
          once::testing::http_client{core_port_}.send("POST", "/legacy/faults", json{{"next", {fault}}}.dump());
      if (queued.status == 202) books.add(std::string{"fault: legacy-core "} + fault);
    }
  }

  // What legacy-core holds: its bookings by reference.
  std::map<std::string, int> core_bookings() const {
    auto const answer = once::testing::http_client{core_port_}.send("GET", "/legacy/transfers");
    std::map<std::string, int> by_reference;
    for (auto const& booking : json::parse(answer.body)) ++by_reference[booking.at("reference").get<std::string>()];
    return by_reference;
  }

  // fraud-screening's duplicates so far, over every process it has been.
  std::int64_t inbox_duplicates() {
    std::lock_guard lock{screening_mutex_};
    return duplicates_harvested_ + count_events(*screening_, "duplicate");
  }

  [[nodiscard]] std::string const& brokers() const noexcept { return brokers_; }

  // The last lines the running fraud-screening and claims-service wrote, for a ledger that does not balance.
  void print_log_tails(std::size_t lines) {
    auto const print_tail = [lines](char const* name, std::vector<std::string> const& output) {
      std::fprintf(stderr, "chaos: the last %zu of %zu lines of %s:\n", std::min(lines, output.size()), output.size(),
                   name);
      for (auto at = output.size() > lines ? output.end() - static_cast<std::ptrdiff_t>(lines) : output.begin();
           at != output.end(); ++at) {
        std::fprintf(stderr, "  %s\n", at->c_str());
      }
    };
    {
      std::lock_guard lock{screening_mutex_};
      print_tail("fraud-screening", screening_->output_lines());
    }
    std::vector<std::string> claims_lines;
    for (auto const& line : claims->log_lines()) claims_lines.push_back(line.dump());
    print_tail("claims-service", claims_lines);
  }

  once::testing::pg_schema payments_schema;
  once::testing::pg_schema inventory_schema;
  once::testing::pg_schema claims_schema;
  once::testing::pg_schema facade_schema;
  std::unique_ptr<once::testing::service_process> payments;
  std::unique_ptr<once::testing::service_process> inventory;
  std::unique_ptr<once::testing::service_process> claims;
  std::unique_ptr<once::testing::service_process> facade;

 private:
  std::vector<std::string> service_arguments(once::testing::pg_schema const& schema) const {
    std::vector<std::string> arguments{"--store",  "postgres",    "--database-url", schema.url(),
                                       "--schema", schema.name(), "--auth-token",   "secret:tenant-chaos"};
    if (shared_commits_) arguments.insert(arguments.end(), {"--shared-commits", std::to_string(*shared_commits_)});
    return arguments;
  }
  static void kill_and_restart(once::testing::service_process& service, std::string const& name, ledger& books) {
    service.kill_hard();
    service.restart();
    books.add("fault: SIGKILL " + name);
  }
  void start_screening() {
    screening_ = std::make_unique<once::testing::child_process>(
        FRAUD_SCREENING, std::vector<std::string>{"--database-url", claims_schema.url(), "--schema",
                                                  claims_schema.name(), "--brokers", brokers_});
  }
  static std::int64_t count_events(once::testing::child_process const& process, std::string const& event) {
    std::int64_t count = 0;
    for (auto const& line : process.output_lines()) {
      auto const parsed = json::parse(line, nullptr, false);
      if (!parsed.is_discarded() && parsed.value("event", "") == event) ++count;
    }
    return count;
  }
  void harvest_screening() { duplicates_harvested_ += count_events(*screening_, "duplicate"); }
  void signal_kafka(int signal, std::string const& done) {
    ::kill(kafka_->pid(), signal);
    (void)once::testing::await_log_event(*kafka_, done, 10s);
  }

  std::string postgres_dir_;
  std::optional<int> shared_commits_;
  std::unique_ptr<once::testing::child_process> kafka_ = std::make_unique<once::testing::child_process>(
      ONCE_KAFKA_MOCK, std::vector<std::string>{"--topic", "claims.events:6", "--topic", "claims.events.dlq:6"});
  std::string brokers_;
  std::unique_ptr<once::testing::child_process> core_;
  unsigned short core_port_ = 0;
  std::mutex screening_mutex_;
  std::unique_ptr<once::testing::child_process> screening_;
  std::int64_t duplicates_harvested_ = 0;
};

// A Kafka producer of the chaos's own beside claims-service's relay.
class kafka_client {
 public:
  explicit kafka_client(std::string const& brokers) {
    std::string problem;
    std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
    for (auto const& [name, value] : std::map<std::string, std::string>{{"bootstrap.servers", brokers},
                                                                        {"enable.idempotence", "true"},
                                                                        {"acks", "all"},
                                                                        {"message.timeout.ms", "30000"},
                                                                        {"log_level", "0"}}) {
      if (conf->set(name, value, problem) != RdKafka::Conf::CONF_OK) throw std::runtime_error(problem);
    }
    if (conf->set("dr_cb", &reports_, problem) != RdKafka::Conf::CONF_OK) throw std::runtime_error(problem);
    producer_.reset(RdKafka::Producer::create(conf.get(), problem));
    if (!producer_) throw std::runtime_error("the chaos's Kafka producer: " + problem);
  }

  // Produces one message to claims.events and waits for the broker's answer: true once acknowledged.
  bool send(std::string const& key, std::string const& value, headers const& with) {
    auto* kafka_headers = RdKafka::Headers::create();
    for (auto const& [name, text] : with) kafka_headers->add(name, text);
    int answer = pending;
    auto const queued = producer_->produce("claims.events", RdKafka::Topic::PARTITION_UA,
                                           RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                           value.size(), key.data(), key.size(), 0, kafka_headers, &answer);
    if (queued != RdKafka::ERR_NO_ERROR) {
      delete kafka_headers;  // owned by the message only once it was queued
      return false;
    }
    while (answer == pending) producer_->poll(100);  // answered within message.timeout.ms
    return answer == acknowledged;
  }

 private:
  static constexpr int pending = -1;
  static constexpr int acknowledged = 1;
  struct delivery_reports : RdKafka::DeliveryReportCb {
    void dr_cb(RdKafka::Message& message) override {
      *static_cast<int*>(message.msg_opaque()) = message.err() == RdKafka::ERR_NO_ERROR ? acknowledged : 0;
    }
  };
  delivery_reports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

// What the Kafka client sent and the brokers acknowledged.
struct kafka_sent {
  std::int64_t copies = 0;
  std::set<std::string> poison;  // event ids of messages that cannot be decoded
};

// Until the deadline, now and then: a copy of a ClaimSubmitted the relay
// published (the same event-id, as a redelivery carries it), or a message
// fraud-screening cannot decode, which it must dead-letter.
void run_kafka_client(world& w, kafka_sent& sent, clock_type::time_point deadline) {
  kafka_client kafka{w.brokers()};
  std::mt19937 random{20261202};
  static constexpr char const* undecodable[] = {R"({"claim_id": )", R"({"claim_id": 7, "amount": "lots"})",
                                                "\xff\xfe not UTF-8", "[]"};
  for (int n = 0; clock_type::now() < deadline; ++n) {
    std::this_thread::sleep_for(std::chrono::milliseconds{200 + random() % 600});
    if (random() % 3 != 0) {
      std::optional<pqxx::row> event;
      try {
        pqxx::connection connection{w.claims_schema.url()};
        pqxx::nontransaction query{connection};
        auto const rows =
            query.exec("SELECT message_id, tenant, message_key, payload::text FROM " + w.claims_schema.name() +
                       ".once_outbox WHERE event_type = 'ClaimSubmitted' AND published_at IS NOT NULL ORDER BY "
                       "random() LIMIT 1");
        if (!rows.empty()) event = rows[0];
      } catch (std::exception const&) {
        continue;  // PostgreSQL is being restarted
      }
      if (!event) continue;
      if (kafka.send(event->at(2).c_str(), event->at(3).c_str(),
                     {{"event-id", event->at(0).c_str()},
                      {"event-type", "ClaimSubmitted"},
                      {"tenant", event->at(1).c_str()}})) {
        ++sent.copies;
      }
    } else {
      auto const id = "chaos-poison-" + std::to_string(n);
      if (kafka.send(id, undecodable[static_cast<std::size_t>(n) % std::size(undecodable)],
                     {{"event-id", id}, {"event-type", "ClaimSubmitted"}, {"tenant", "tenant-chaos"}})) {
        sent.poison.insert(id);
      }
    }
  }
}

// The event ids on claims.events.dlq that carry an `error` header, read from the beginning until it is quiet.
std::set<std::string> dead_letters_on_the_topic(std::string const& brokers) {
  std::set<std::string> found;
  for (auto const& letter : once::testing::read_topic(brokers, "claims.events.dlq", 6, SIZE_MAX, 5s)) {
    if (letter.headers.contains("event-id") && letter.headers.contains("error")) {
      found.insert(letter.headers.at("event-id"));
    }
  }
  return found;
}

once::testing::service_process& service_of(world& w, std::string const& service) {
  if (service == "payments") return *w.payments;
  if (service == "inventory") return *w.inventory;
  if (service == "claims") return *w.claims;
  return *w.facade;
}

// Sends an intent until it is answered (a good client's retries); nullopt if it never was.
std::optional<once::testing::http_answer> send(world& w, intent const& i, int attempts = 3000) {
  return once::testing::send_until_answered(service_of(w, i.service).port(), i.method, i.target, i.body, i.sent_with,
                                            attempts);
}

// The n-th intent a client sends: a payment, a reservation, a claim and a transfer in turn.
intent intent_of_client(int client, int n) {
  auto const c = std::to_string(client);
  auto const i = std::to_string(n);
  switch (n % 4) {
    case 0:
      return {"payments",
              "payment " + c + "-" + i,
              "POST",
              "/v1/payments",
              json{{"account_id", "ACC-" + c},
                   {"amount", {{"value", 1 + n % 9}, {"currency", "EUR"}}},
                   {"description", "chaos"}}
                  .dump(),
              with_token("pay-" + c + "-" + i),
              std::nullopt};
    case 1:
      return {"inventory",
              "reservation O-" + c + "-" + i,
              "POST",
              "/v1/orders/O-" + c + "-" + i + "/lines/1/reservation",
              json{{"warehouse_id", "W-" + c}, {"sku", "SKU-1"}, {"quantity", 1}}.dump(),
              with_token(),
              std::nullopt};
    case 2:
      return {"claims",
              "claim S-" + c + "-" + i,
              "POST",
              "/v1/claims",
              json{{"submission_id", "S-" + c + "-" + i},
                   {"claimant_id", "CL-" + c},
                   {"policy_id", "POL-1"},
                   {"amount", {{"value", 100 + n}, {"currency", "EUR"}}},
                   {"description", "chaos"}}
                  .dump(),
              with_token(),
              std::nullopt};
    default:
      return {"facade",
              "transfer T-" + c + "-" + i,
              "POST",
              "/v1/transfers",
              json{{"from_account", "ACC-" + c + "-" + i},
                   {"to_account", "ACC-2"},
                   {"amount", {{"value", 100 + n}, {"currency", "EUR"}}}}
                  .dump(),
              with_token("T-" + c + "-" + i),
              std::nullopt};
  }
}

// What each client acts on: an account with room for every payment, an item with stock for every reservation.
void set_up_client(world& w, int client) {
  auto const c = std::to_string(client);
  auto const opened = once::testing::send_until_answered(
      w.payments->port(), "POST", "/v1/accounts",
      json{{"account_id", "ACC-" + c}, {"currency", "EUR"}, {"credit_limit", 1'000'000'000}}.dump(),
      with_token("open-" + c));
  auto const registered = once::testing::send_until_answered(
      w.inventory->port(), "POST", "/v1/stock-items",
      json{{"warehouse_id", "W-" + c}, {"sku", "SKU-1"}, {"reorder_level", 0}}.dump(), with_token("register-" + c));
  auto const received =
      once::testing::send_until_answered(w.inventory->port(), "POST", "/v1/stock-items/W-" + c + "/SKU-1/receipts",
                                         json{{"receipt_id", "R-" + c}, {"quantity", 1'000'000}}.dump(), with_token());
  if (!opened || opened->status != 201 || !registered || registered->status != 201 || !received ||
      (received->status != 201 && received->status != 409)) {
    throw std::runtime_error("client " + c + " could not set up its account and stock item");
  }
}

// The id an answer names the intent's effect by: the same id in a replay means the same effect.
std::string effect_of(intent const& i, json const& answer) {
  if (i.service == "payments") return answer.value("payment_id", "");
  if (i.service == "inventory") return answer.value("order_id", "") + "/" + answer.value("line_id", "");
  if (i.service == "claims") return answer.value("claim_id", "");
  return answer.value("transfer_id", "");
}

// Sends intents until the deadline; MINE keeps each, with what it was first told, for the books.
void run_client(world& w, int client, std::vector<intent>& mine, clock_type::time_point deadline, ledger& books) {
  std::mt19937 random{static_cast<unsigned>(client)};
  for (int n = 0; clock_type::now() < deadline; ++n) {
    auto& i = mine.emplace_back(intent_of_client(client, n));
    books.add("intents sent");
    auto const answer = send(w, i, 600);
    if (!answer) continue;  // asked again at the end
    if (answer->status / 100 != 2) {
      books.problem(i.name + ": answered " + std::to_string(answer->status) + " " + answer->body);
      continue;
    }
    i.acknowledged = json::parse(answer->body);
    books.add("acknowledged");
    if (random() % 3 == 0) {  // a double click
      books.add("duplicates sent");
      auto const again = send(w, i, 600);
      if (again && again->status / 100 == 2 && replayed(*again) &&
          effect_of(i, json::parse(again->body)) == effect_of(i, *i.acknowledged)) {
        books.add("duplicates absorbed by policy");
      } else if (again) {
        books.problem(i.name + ": its duplicate was answered " + std::to_string(again->status) + " " + again->body);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"once_chaos_ledger: every example service under faults, then the books"};
  int seconds = 90;
  int clients = 4;
  std::string postgres_dir;
  std::optional<int> shared_commits;
  app.add_option("--seconds", seconds, "how long the faults and the load last")->check(CLI::Range(5, 86400));
  app.add_option("--clients", clients, "client threads")->check(CLI::Range(1, 64));
  app.add_option("--postgres-dir", postgres_dir, "the throwaway-postgres directory of DATABASE_URL")->required();
  app.add_option("--shared-commits", shared_commits, "every service's --shared-commits (default: theirs)")
      ->check(CLI::Range(0, 64));
  CLI11_PARSE(app, argc, argv);

  ledger books;
  world w{postgres_dir, shared_commits};
  std::vector<std::vector<intent>> intents(static_cast<std::size_t>(clients));
  for (int c = 0; c < clients; ++c) set_up_client(w, c);

  auto const deadline = clock_type::now() + std::chrono::seconds{seconds};
  std::atomic<bool> faulting{true};
  std::thread faults{[&] {
    std::mt19937 random{20261201};
    while (faulting && clock_type::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds{1000 + random() % 3000});
      if (!faulting || clock_type::now() >= deadline) break;
      try {
        w.inject(random, books);
      } catch (std::exception const& failed) {
        books.problem(std::string{"a fault left something down: "} + failed.what());
      }
    }
  }};
  std::vector<std::thread> running;
  for (int c = 0; c < clients; ++c) {
    running.emplace_back([&, c] { run_client(w, c, intents[static_cast<std::size_t>(c)], deadline, books); });
  }
  kafka_sent over_kafka;
  running.emplace_back([&] {
    try {
      run_kafka_client(w, over_kafka, deadline);
    } catch (std::exception const& failed) {
      books.problem(std::string{"the Kafka client stopped: "} + failed.what());
    }
  });
  for (auto& client : running) client.join();
  faulting = false;
  faults.join();

  // Every intent sent is asked again: the answer must name the effect it was first acknowledged with.
  // Each client's intents by a thread of its own, as they were sent: asked one
  // by one, the intents of a faster framework made this phase the run's longest.
  std::map<std::string, std::int64_t> paid;                        // per account: the sum of its payments
  std::map<std::string, std::int64_t> held;                        // per item: the reservations
  std::vector<std::pair<intent const*, std::string>> claims_made;  // with the claim id answered
  std::vector<intent const*> transfers;
  std::map<std::string, std::string> reference_of;  // per transfer completed: its booking's reference on the core
  std::mutex asked_again;                           // guards the five above
  std::int64_t sent = 0;
  for (auto const& mine : intents) sent += static_cast<std::int64_t>(mine.size());
  std::vector<std::thread> askers;
  for (auto& mine : intents) {
    askers.emplace_back([&, mine = &mine] {
      for (auto& i : *mine) {
        auto const again = send(w, i);
        if (!again || again->status / 100 != 2) {
          books.problem(i.name + ": asked again, answered " + (again ? std::to_string(again->status) : "nothing"));
          if (i.acknowledged) books.add("lost");
          continue;
        }
        auto const now = json::parse(again->body);
        if (i.acknowledged && effect_of(i, now) != effect_of(i, *i.acknowledged)) {
          books.problem(i.name + ": acknowledged as " + effect_of(i, *i.acknowledged) + ", now " + effect_of(i, now));
          books.add("doubled");
          continue;
        }
        if (!i.acknowledged) books.add("acknowledged only when asked again");
        auto const body = json::parse(i.body);
        std::lock_guard lock{asked_again};
        if (i.service == "payments")
          paid[body.at("account_id").get<std::string>()] += body.at("amount").at("value").get<std::int64_t>();
        if (i.service == "inventory") held[body.at("warehouse_id").get<std::string>()] += 1;
        if (i.service == "claims") claims_made.emplace_back(&i, effect_of(i, now));
        if (i.service == "facade") {
          transfers.push_back(&i);
          if (now.value("status", json{}).is_string() && now.at("status") == "completed") {
            reference_of[i.name] = now.at("reference").get<std::string>();
          }
        }
      }
    });
  }
  for (auto& asker : askers) asker.join();

  // The books of each service against what was sent.
  for (auto const& [account, expected] : paid) {
    auto const answer = send(w, {"payments", account, "GET", "/v1/accounts/" + account, "", with_token(), {}});
    auto const total = answer ? json::parse(answer->body).at("authorized_total").at("value").get<std::int64_t>() : -1;
    if (total != expected) {
      books.problem("account " + account + ": authorized " + std::to_string(total) + ", sent " +
                    std::to_string(expected));
      books.add(total > expected ? "doubled" : "lost");
    }
  }
  for (auto const& [warehouse, expected] : held) {
    auto const answer =
        send(w, {"inventory", warehouse, "GET", "/v1/stock-items/" + warehouse + "/SKU-1", "", with_token(), {}});
    auto const reserved = answer ? json::parse(answer->body).at("reserved").get<std::int64_t>() : -1;
    if (reserved != expected) {
      books.problem("item " + warehouse + "/SKU-1: reserved " + std::to_string(reserved) + ", lines " +
                    std::to_string(expected));
      books.add(reserved > expected ? "doubled" : "lost");
    }
  }
  // Claims: one ClaimSubmitted and one ClaimScreened each, all published, once the consumer has caught up.
  auto const screened_and_published = [&] {
    return w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL") == 0 &&
           w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE event_type = 'ClaimScreened'") >=
               static_cast<std::int64_t>(claims_made.size());
  };
  if (!once::testing::eventually(screened_and_published, 120s, 500ms)) {
    books.problem("claims: not every claim was screened and published within 120 s after the faults");
  }
  // Events per claim, counted in one statement (a count per claim scanned the outbox once per claim).
  std::map<std::pair<std::string, std::string>, std::int64_t> claim_events;  // (claim id, event type) -> rows
  {
    pqxx::connection connection{w.claims_schema.url()};
    pqxx::nontransaction read{connection};
    for (auto const& row :
         read.exec("SELECT aggregate_id, event_type, count(*) FROM " + w.claims_schema.name() +
                   ".once_outbox WHERE event_type IN ('ClaimSubmitted', 'ClaimScreened') GROUP BY 1, 2")) {
      claim_events[{row[0].c_str(), row[1].c_str()}] = row[2].as<std::int64_t>();
    }
  }
  for (auto const& [claim, id] : claims_made) {
    for (auto const* type : {"ClaimSubmitted", "ClaimScreened"}) {
      auto const found = claim_events.find({id, type});
      auto const events = found == claim_events.end() ? 0 : found->second;
      if (events != 1) {
        books.problem(claim->name + ": " + std::to_string(events) + " " + type + " events");
        books.add(events > 1 ? "doubled" : "lost");
      }
    }
  }
  // Kafka: each undecodable message acknowledged by the brokers is dead-lettered once, on the
  // topic and in the exceptions table; nothing else is (copies of events are skipped, not refused).
  auto const dead_lettered = [&] {
    return w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_inbox_exceptions") >=
           static_cast<std::int64_t>(over_kafka.poison.size());
  };
  if (!once::testing::eventually(dead_lettered, 120s, 500ms)) {
    books.problem("fraud-screening: not every undecodable message was dead-lettered within 120 s");
  }
  {
    pqxx::connection connection{w.claims_schema.url()};
    pqxx::nontransaction query{connection};
    std::map<std::string, int> letters;
    for (auto const& row : query.exec("SELECT coalesce(message_id, ''), error FROM " + w.claims_schema.name() +
                                      ".once_inbox_exceptions")) {
      auto const id = row[0].as<std::string>();
      ++letters[id];
      if (!over_kafka.poison.contains(id)) {
        books.problem("fraud-screening dead-lettered " + id +
                      ", which was not sent undecodable: " + row[1].as<std::string>());
      }
    }
    for (auto const& id : over_kafka.poison) {
      if (letters[id] != 1) books.problem(id + ": " + std::to_string(letters[id]) + " exception records, not 1");
    }
  }
  books.add("event copies sent (Kafka)", over_kafka.copies);
  books.add("undecodable messages sent (Kafka)", static_cast<std::int64_t>(over_kafka.poison.size()));
  auto const on_the_topic = dead_letters_on_the_topic(w.brokers());
  books.add("dead letters on claims.events.dlq", static_cast<std::int64_t>(on_the_topic.size()));
  for (auto const& id : over_kafka.poison) {
    if (!on_the_topic.contains(id)) books.problem(id + ": not on claims.events.dlq with an error header");
  }

  // Transfers: settled by recovery without an operator, one booking each on the core.
  (void)once::testing::eventually(
      [&] {
        for (auto const* transfer : transfers) {
          if (reference_of.contains(transfer->name)) continue;
          auto const answer = send(w, *transfer);
          if (!answer) continue;
          auto const state = json::parse(answer->body);
          if (state.value("status", json{}).is_string() && state.at("status") == "completed") {
            reference_of[transfer->name] = state.at("reference").get<std::string>();
          }
        }
        return reference_of.size() == transfers.size();
      },
      120s, 500ms);
  auto const bookings = w.core_bookings();
  std::int64_t booked = 0;
  for (auto const* transfer : transfers) {
    auto const reference = reference_of.find(transfer->name);
    if (reference == reference_of.end()) {
      books.problem(transfer->name + ": not completed 120 s after the faults");
      books.add("lost");
      continue;
    }
    auto const count = bookings.contains(reference->second) ? bookings.at(reference->second) : 0;
    booked += count;
    if (count != 1) {
      books.problem(transfer->name + ": booked " + std::to_string(count) + " times on the core");
      books.add(count > 1 ? "doubled" : "lost");
    }
  }
  std::int64_t on_the_core = 0;
  for (auto const& [reference, count] : bookings) on_the_core += count;
  if (on_the_core != booked) {
    books.problem("legacy-core holds " + std::to_string(on_the_core - booked) + " bookings no transfer accounts for");
    books.add("doubled", on_the_core - booked);
  }

  books.add("applied exactly once", sent - books.get("lost") - books.get("doubled"));
  books.add("outbox rows published (claims)",
            w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NOT NULL"));
  books.add("inbox duplicates skipped (fraud-screening)", w.inbox_duplicates());
  books.add("dead-lettered", w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_inbox_exceptions"));
  books.add("recovered (transfers taken over by recovery)",
            w.facade_schema.scalar("SELECT count(*) FROM ${schema}.once_external_steps WHERE attempt > 1"));

  std::printf("\n| ledger (%d s, %d clients) | count |\n|---|---:|\n", seconds, clients);
  auto const rows = books.rows();
  for (auto const* row :
       {"intents sent", "acknowledged", "acknowledged only when asked again", "applied exactly once", "duplicates sent",
        "duplicates absorbed by policy", "outbox rows published (claims)", "event copies sent (Kafka)",
        "undecodable messages sent (Kafka)", "inbox duplicates skipped (fraud-screening)", "dead-lettered",
        "dead letters on claims.events.dlq", "recovered (transfers taken over by recovery)", "lost", "doubled"}) {
    std::printf("| %s | %lld |\n", row, static_cast<long long>(books.get(row)));
  }
  for (auto const& [row, count] : rows) {
    if (row.rfind("fault: ", 0) == 0) std::printf("| %s | %lld |\n", row.c_str(), static_cast<long long>(count));
  }
  auto const problems = books.problems();
  for (auto const& problem : problems) std::fprintf(stderr, "chaos: %s\n", problem.c_str());
  bool const balanced = books.get("lost") == 0 && books.get("doubled") == 0 && problems.empty();
  if (!balanced) {
    // Where the claims' pipeline stands, to tell a stalled consumer from a stalled relay.
    std::fprintf(
        stderr, "chaos: claims outbox %lld ClaimSubmitted, %lld ClaimScreened, %lld unpublished (oldest %lld s)\n",
        static_cast<long long>(
            w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE event_type = 'ClaimSubmitted'")),
        static_cast<long long>(
            w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE event_type = 'ClaimScreened'")),
        static_cast<long long>(
            w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_outbox WHERE published_at IS NULL")),
        static_cast<long long>(w.claims_schema.scalar(
            "SELECT coalesce(extract(epoch FROM now() - min(created_at))::bigint, 0) FROM ${schema}.once_outbox "
            "WHERE published_at IS NULL")));
    std::fprintf(stderr, "chaos: fraud-screening's inbox %lld messages, the last %lld s ago\n",
                 static_cast<long long>(w.claims_schema.scalar("SELECT count(*) FROM ${schema}.once_inbox")),
                 static_cast<long long>(w.claims_schema.scalar(
                     "SELECT coalesce(extract(epoch FROM now() - max(processed_at))::bigint, -1) FROM "
                     "${schema}.once_inbox")));
    w.print_log_tails(40);
  }
  std::printf("\n%s\n", balanced ? "the books balance" : "THE BOOKS DO NOT BALANCE (see above)");
  return balanced ? 0 : 1;
}
