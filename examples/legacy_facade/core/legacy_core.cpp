// legacy-core: the transfers system the facade fronts, shipped for demos and
// tests. It is NOT idempotent: every POST /legacy/transfers books a new
// transfer, even with a reference it has seen. And it fails the ways real
// cores do, at random (--fault-rate) or on request (POST /legacy/faults):
//
//   hang_after_booking    books, then answers only after --hang-ms (callers time out)
//   close_after_booking   books, then closes the connection without an answer
//   fail_after_booking    books, then answers 500
//   fail_before_booking   answers 503 and books nothing
//   fail_then_book_late   answers 503, then books --late-ms later (within a caller's grace)
//   hang_without_booking  answers nothing for --hang-ms, then closes; books nothing
//
//   legacy-core --listen HOST:PORT [--fault-rate P] [--seed N] [--hang-ms N] [--late-ms N]
//
// Reads (GET /legacy/transfers?reference=R, ?since=ISO8601) always answer at
// once. One thread per connection: a hung call holds only its own.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

constexpr std::string_view fault_names[] = {"hang_after_booking",  "close_after_booking", "fail_after_booking",
                                            "fail_before_booking", "fail_then_book_late", "hang_without_booking"};

struct transfer {
  std::int64_t transfer_no = 0;
  std::string reference;
  std::string from_account;
  std::string to_account;
  std::int64_t amount_cents = 0;
  std::string booked_at;  // ISO 8601, UTC, microseconds: sorts as text
};

json to_json(transfer const& t) {
  return {{"transfer_no", t.transfer_no}, {"reference", t.reference},       {"from_account", t.from_account},
          {"to_account", t.to_account},   {"amount_cents", t.amount_cents}, {"booked_at", t.booked_at}};
}

std::string now_iso() {
  auto const now = std::chrono::system_clock::now();
  auto const seconds = std::chrono::system_clock::to_time_t(now);
  auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char full[64];
  std::snprintf(full, sizeof full, "%s.%06lldZ", text, static_cast<long long>(micros));
  return full;
}

class core {
 public:
  core(double fault_rate, unsigned seed, std::chrono::milliseconds hang, std::chrono::milliseconds late)
      : fault_rate_(fault_rate), random_(seed), hang_(hang), late_(late) {}

  transfer book(json const& body) {
    std::lock_guard lock(mutex_);
    transfer t{static_cast<std::int64_t>(transfers_.size()) + 1, body.at("reference").get<std::string>(),
               body.at("from_account").get<std::string>(),       body.at("to_account").get<std::string>(),
               body.at("amount_cents").get<std::int64_t>(),      now_iso()};
    transfers_.push_back(t);
    std::printf("{\"event\":\"booked\",\"transfer_no\":%lld}\n", static_cast<long long>(t.transfer_no));
    std::fflush(stdout);
    return t;
  }
  json list(std::optional<std::string> const& reference, std::optional<std::string> const& since) const {
    std::lock_guard lock(mutex_);
    json found = json::array();
    for (auto const& t : transfers_) {
      if (reference && t.reference != *reference) continue;
      if (since && t.booked_at < *since) continue;
      found.push_back(to_json(t));
    }
    return found;
  }
  // The fault for the next booking call: one queued on request first, else a random one at --fault-rate.
  std::string next_fault() {
    std::lock_guard lock(mutex_);
    if (!queued_.empty()) {
      auto fault = queued_.front();
      queued_.pop_front();
      return fault;
    }
    if (fault_rate_ <= 0 || std::uniform_real_distribution<double>{0, 1}(random_) >= fault_rate_) return "";
    return std::string{fault_names[std::uniform_int_distribution<std::size_t>{0, std::size(fault_names) - 1}(random_)]};
  }
  void queue(std::vector<std::string> faults) {
    std::lock_guard lock(mutex_);
    for (auto& fault : faults) queued_.push_back(std::move(fault));
  }
  std::chrono::milliseconds hang() const { return hang_; }
  std::chrono::milliseconds late() const { return late_; }

 private:
  mutable std::mutex mutex_;
  std::vector<transfer> transfers_;
  std::deque<std::string> queued_;
  double fault_rate_;
  std::mt19937 random_;
  std::chrono::milliseconds hang_;
  std::chrono::milliseconds late_;
};

bool is_fault(std::string const& name) {
  return std::find(std::begin(fault_names), std::end(fault_names), name) != std::end(fault_names);
}

// The answer to one request; nullopt: close the connection without one.
using answer = std::optional<bhttp::response<bhttp::string_body>>;

answer reply(unsigned version, bhttp::status status, json const& body) {
  bhttp::response<bhttp::string_body> response{status, version};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

std::optional<std::string> refusal_of(json const& body) {
  if (!body.is_object()) return "the body is not a JSON object";
  for (auto const* field : {"reference", "from_account", "to_account"}) {
    if (!body.contains(field) || !body[field].is_string() || body[field].get<std::string>().empty()) {
      return std::string{field} + " is missing";
    }
  }
  if (!body.contains("amount_cents") || !body["amount_cents"].is_number_integer()) return "amount_cents is missing";
  if (body["amount_cents"].get<std::int64_t>() <= 0) return "amount_cents must be positive";
  if (body["from_account"].get<std::string>().rfind("BLOCKED", 0) == 0) return "the account is blocked";
  return std::nullopt;
}

answer book_transfer(core& bank, bhttp::request<bhttp::string_body> const& request) {
  auto const version = request.version();
  auto const body = json::parse(request.body(), nullptr, false);
  if (body.is_discarded()) return reply(version, bhttp::status::bad_request, {{"error", "malformed JSON"}});
  if (auto const refused = refusal_of(body)) return reply(version, bhttp::status::bad_request, {{"error", *refused}});
  auto const fault = bank.next_fault();
  // Said before any fault plays out, so a test knows the call is in the core's hands.
  std::printf("{\"event\":\"received\",\"fault\":\"%s\"}\n", fault.c_str());
  std::fflush(stdout);
  if (fault == "fail_before_booking") return reply(version, bhttp::status::service_unavailable, {{"error", "busy"}});
  if (fault == "hang_without_booking") {
    std::this_thread::sleep_for(bank.hang());
    return std::nullopt;
  }
  if (fault == "fail_then_book_late") {
    std::thread{[&bank, body, late = bank.late()] {
      std::this_thread::sleep_for(late);
      (void)bank.book(body);
    }}.detach();
    return reply(version, bhttp::status::service_unavailable, {{"error", "busy"}});
  }
  auto const booked = bank.book(body);
  if (fault == "close_after_booking") return std::nullopt;
  if (fault == "fail_after_booking") return reply(version, bhttp::status::internal_server_error, {{"error", "oops"}});
  if (fault == "hang_after_booking") std::this_thread::sleep_for(bank.hang());
  return reply(version, bhttp::status::ok, to_json(booked));
}

answer handle(core& bank, bhttp::request<bhttp::string_body> const& request) {
  auto const version = request.version();
  auto const target = boost::urls::parse_origin_form(request.target());
  if (!target) return reply(version, bhttp::status::bad_request, {{"error", "bad target"}});
  std::string const path = target->path();
  if (path == "/legacy/transfers" && request.method() == bhttp::verb::post) return book_transfer(bank, request);
  if (path == "/legacy/transfers" && request.method() == bhttp::verb::get) {
    std::optional<std::string> reference;
    std::optional<std::string> since;
    for (auto const& param : target->params()) {
      if (param.key == "reference") reference = param.value;
      if (param.key == "since") since = param.value;
    }
    return reply(version, bhttp::status::ok, bank.list(reference, since));
  }
  if (path == "/legacy/faults" && request.method() == bhttp::verb::post) {
    auto const body = json::parse(request.body(), nullptr, false);
    if (body.is_discarded() || !body.contains("next") || !body["next"].is_array()) {
      return reply(version, bhttp::status::bad_request, {{"error", "send {\"next\": [fault, ...]}"}});
    }
    std::vector<std::string> faults;
    for (auto const& each : body["next"]) {
      if (!each.is_string() || !is_fault(each.get<std::string>())) {
        return reply(version, bhttp::status::bad_request, {{"error", "unknown fault"}});
      }
      faults.push_back(each.get<std::string>());
    }
    bank.queue(std::move(faults));
    return reply(version, bhttp::status::accepted, {{"queued", body["next"].size()}});
  }
  return reply(version, bhttp::status::not_found, {{"error", "no such legacy route"}});
}

// One connection; whatever goes wrong with it ends it, never the process.
void serve(core& bank, tcp::socket socket) noexcept try {
  beast::flat_buffer buffer;
  beast::error_code failed;
  for (;;) {
    bhttp::request<bhttp::string_body> request;
    bhttp::read(socket, buffer, request, failed);
    if (failed) break;
    auto response = handle(bank, request);
    if (!response) break;  // the fault: no answer at all
    response->keep_alive(request.keep_alive());
    bhttp::write(socket, *response, failed);
    if (failed || !request.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, failed);
} catch (std::exception const& failure) {
  std::fprintf(stderr, "legacy-core: connection ended: %s\n", failure.what());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"legacy-core: a transfers system that is not idempotent"};
  std::string listen = "127.0.0.1:8090";
  double fault_rate = 0;
  unsigned seed = std::random_device{}();
  int hang_ms = 30000;
  int late_ms = 1000;
  app.add_option("--listen", listen, "HOST:PORT (port 0: any free one)")->capture_default_str();
  app.add_option("--fault-rate", fault_rate, "share of booking calls that fail at random")->check(CLI::Range(0.0, 1.0));
  app.add_option("--seed", seed, "seed of the random faults");
  app.add_option("--hang-ms", hang_ms, "how long a hanging call holds its answer")->capture_default_str();
  app.add_option("--late-ms", late_ms, "how late fail_then_book_late books")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto const colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "legacy-core: --listen takes HOST:PORT\n");
    return 2;
  }
  core bank{fault_rate, seed, std::chrono::milliseconds{hang_ms}, std::chrono::milliseconds{late_ms}};
  try {
    asio::io_context io;
    tcp::acceptor acceptor{io,
                           {asio::ip::make_address(listen.substr(0, colon)),
                            static_cast<unsigned short>(std::stoi(listen.substr(colon + 1)))}};
    std::printf("{\"event\":\"listening\",\"address\":\"%s:%u\"}\n", listen.substr(0, colon).c_str(),
                static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);
    for (;;) {
      tcp::socket socket{io};
      acceptor.accept(socket);
      std::thread{serve, std::ref(bank), std::move(socket)}.detach();
    }
  } catch (std::exception const& failure) {
    std::fprintf(stderr, "legacy-core: %s\n", failure.what());
    return 1;
  }
}
