#include "facade_routes.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/application/recovery_worker.hpp>
#include <once/domain/json_decode.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/idempotency_key.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/observability/structured_log.hpp>
#include <once/postgres/reconciliation_jobs.hpp>
#include <once/prometheus/prometheus_metrics.hpp>
#include <once/service/service.hpp>

#include <legacy_facade/domain/transfer.hpp>

#include "legacy_client.hpp"
#include "legacy_transfers.hpp"

namespace legacy_facade::service {
namespace {

using namespace legacy_facade::domain;
using once::domain::decode_error;
using once::http::problem_kind;
using once::http::problem_response;
using once::http::request;
using once::http::response;

std::string transfer_json(transfer_view const& view) {
  nlohmann::json body{{"transfer_id", view.transfer_id},
                      {"status", view.status},
                      {"reference", view.reference},
                      {"amount", {{"value", view.amount.value}, {"currency", view.amount.currency}}},
                      {"from_account", view.from_account},
                      {"to_account", view.to_account}};
  if (view.legacy_transfer_no.has_value()) body["legacy_transfer_no"] = *view.legacy_transfer_no;
  if (!view.code.empty()) body["code"] = view.code;
  if (!view.legacy_transfer_nos.empty()) body["legacy_transfer_nos"] = view.legacy_transfer_nos;
  return body.dump();
}

// The code of a transfer's state: known and booked 201, not (yet) known 202.
int status_of(transfer_view const& view) {
  return view.status == "completed" ? 201 : 202;
}

std::string transfer_location(transfer_view const& view) {
  return "/v1/transfers/" + view.transfer_id;
}

std::optional<decode_error> validate(create_transfer const& c) {
  if (!is_valid_account(c.from_account))
    return decode_error{"from_account", "must be 1-64 characters of A-Z a-z 0-9 _ -"};
  if (!is_valid_account(c.to_account)) return decode_error{"to_account", "must be 1-64 characters of A-Z a-z 0-9 _ -"};
  if (c.amount.value <= 0) return decode_error{"amount.value", "must be a positive integer of minor units"};
  if (!is_currency_code(c.amount.currency))
    return decode_error{"amount.currency", "must be an ISO 4217 code such as EUR"};
  return std::nullopt;
}

nlohmann::json exception_json(once::application::queued_exception const& entry) {
  auto evidence = nlohmann::json::parse(entry.evidence, nullptr, false);
  nlohmann::json body{{"id", entry.id},
                      {"tenant", entry.tenant},
                      {"reason", entry.reason},
                      {"subject", entry.subject},
                      {"evidence", evidence.is_discarded() ? nlohmann::json::object() : evidence},
                      {"status", entry.status},
                      {"note", nullptr}};
  if (!entry.note.empty()) body["note"] = entry.note;
  return body;
}

// Everything the routes and the worker share, alive as long as the routes are.
struct facade {
  facade(legacy_client core, facade_options options)
      : client(core),
        booking(std::move(core), std::chrono::milliseconds{options.legacy_timeout_ms}),
        options(std::move(options)) {}
  legacy_client client;
  legacy_transfers booking;
  facade_options options;
  once::http::bearer_tokens operators;
  std::unique_ptr<once::application::recovery_worker> recovery;
  std::atomic<std::int64_t> would_replay{0};
  std::atomic<std::int64_t> would_conflict{0};
};

// The caller: a tenant's token (its own exceptions) or the operator's (every tenant's: nullopt).
once::domain::expected<std::optional<std::string>, response> caller_of(facade const& parts,
                                                                       once::http::bearer_tokens const& tokens,
                                                                       request const& incoming) {
  if (!parts.operators.empty() && parts.operators.authenticate(incoming).has_value()) {
    return std::optional<std::string>{};
  }
  auto tenant = tokens.authenticate(incoming);
  if (!tenant) return once::domain::unexpected{std::move(tenant).error()};
  return std::optional<std::string>{std::move(*tenant)};
}

// Header fields that belong to one connection, not to the request.
bool is_hop_by_hop(std::string const& name) {
  static std::vector<std::string> const names{
      "authorization", "host", "connection", "content-length",      "transfer-encoding",
      "keep-alive",    "te",   "upgrade",    "proxy-authorization", "proxy-connection"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

response forward(facade const& parts, request const& incoming) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (auto const& [name, value] : incoming.headers) {
    if (!is_hop_by_hop(name)) headers.emplace_back(name, value);
  }
  auto const sent = parts.client.send(incoming.method, incoming.target, headers, incoming.body,
                                      std::chrono::milliseconds{parts.options.legacy_timeout_ms});
  if (!sent.answer) {
    auto failed = problem_response({problem_kind::bad_gateway, "the legacy core did not answer"});
    failed.log_fields.emplace_back("forwarded", "no_answer");
    return failed;
  }
  response answer{sent.answer->status, {}, sent.answer->body, {{"forwarded", "legacy"}}};
  if (!sent.answer->content_type.empty()) answer.headers.emplace_back("Content-Type", sent.answer->content_type);
  return answer;
}

// The job once-admin reconcile runs for transfers: our intents against the core's listing.
void register_reconciliation(once::service::host& host, facade_options const& options) {
  auto const* database = host.stack().database();
  if (database == nullptr) return;  // the memory store: nothing to reconcile from outside
  once::postgres::reconciliation_job const job{
      std::string{reconciliation_job_name}, std::string{create_transfer::type_name},
      options.legacy_url + "/legacy/transfers?since={from}",
      R"({"ours": {"amount": "amount.value", "account": "from_account",)"
      R"( "done": {"path": "status", "equals": "completed"}},)"
      R"( "theirs": {"reference": "reference", "amount": "amount_cents", "account": "from_account",)"
      R"( "id": "transfer_no", "at": "booked_at"}})"};
  auto jobs = once::postgres::reconciliation_jobs::open(*database);
  auto registered =
      jobs ? (*jobs)->register_job(job) : once::application::result<void>{once::domain::unexpected{jobs.error()}};
  if (!registered) {
    once::observability::log_event(host.log(), spdlog::level::warn, "reconciliation_not_registered",
                                   {{"error", registered.error().message}});
    return;
  }
  once::service::watch_reconciliation(host.stack().metrics(), *database, job.name);
}

}  // namespace

void add_facade_options(CLI::App& app, facade_options& into) {
  app.add_option("--legacy-url", into.legacy_url, "the legacy core, http://HOST:PORT")->required();
  app.add_option("--legacy-timeout-ms", into.legacy_timeout_ms, "bounds a whole call to the core")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  app.add_option("--grace-ms", into.grace_ms, "how late after a call the core may still book it")
      ->check(CLI::Range(0, 3600000))
      ->capture_default_str();
  app.add_option("--lease-ms", into.lease_ms, "how long a process may hold a claimed transfer (2 x timeout + 1000)")
      ->check(CLI::Range(1, 3600000));
  app.add_option("--recovery-interval-ms", into.recovery_interval_ms, "between recovery rounds")
      ->check(CLI::Range(10, 3600000))
      ->capture_default_str();
  app.add_option("--mode", into.mode, "observe: forward every transfer and count duplicates; enforce: book once")
      ->check(CLI::IsMember({"observe", "enforce"}))
      ->capture_default_str();
  app.add_option("--operator-token", into.operator_token, "a token that sees and resolves every tenant's exceptions");
}

std::optional<std::string> check(facade_options const& options) {
  if (!legacy_client::for_url(options.legacy_url)) return "--legacy-url takes http://HOST:PORT";
  if (options.lease().count() <= options.legacy_timeout_ms) {
    return "--lease-ms must be longer than --legacy-timeout-ms: a call is only made while the lease holds";
  }
  return std::nullopt;
}

void add_routes(once::service::host& host, facade_options const& options) {
  auto parts = std::make_shared<facade>(*legacy_client::for_url(options.legacy_url), options);
  if (!options.operator_token.empty()) parts->operators.add(options.operator_token, "operator");

  auto& steps = host.dispatcher_options().steps;
  steps.call_timeout = std::chrono::milliseconds{options.legacy_timeout_ms};
  steps.lease = options.lease();
  steps.grace = std::chrono::milliseconds{options.grace_ms};
  steps.recheck = std::chrono::milliseconds{options.recovery_interval_ms};
  auto& transfers = host.dispatcher<transfer>();
  transfers.connect(parts->booking);

  once::application::recovery_options recovery;
  recovery.interval = std::chrono::milliseconds{options.recovery_interval_ms};
  recovery.lease = options.lease();
  recovery.leadership = std::max(options.lease(), std::chrono::milliseconds{3 * options.recovery_interval_ms});
  auto* log = &host.log();
  recovery.on_error = [log](once::application::error const& failure) {
    once::observability::log_event(
        *log, spdlog::level::warn, "recovery_failed",
        {{"error", std::string{once::application::to_string(failure.code)}}, {"detail", failure.message}});
  };
  recovery.on_recovered = [log](once::application::step_record const& step, once::application::recovery_result result) {
    once::observability::log_event(*log, spdlog::level::info, "recovery",
                                   {{"intent", once::domain::to_string(step.intent)},
                                    {"result", std::string{once::application::to_string(result)}},
                                    {"attempt", step.attempt}});
  };
  parts->recovery = std::make_unique<once::application::recovery_worker>(
      host.stack().steps(), std::vector<once::application::step_recoverer*>{&transfers}, recovery);
  host.beside([parts] { parts->recovery->run(); }, [parts] { parts->recovery->stop(); });
  once::service::watch_steps(host.stack().metrics(), host.stack().steps(), parts->recovery->counters());
  register_reconciliation(host, options);

  auto& routes = host.routes();
  auto const& tokens = host.tokens();
  auto& store = host.commands();

  auto enforce = once::http::command_endpoint<transfer, create_transfer>(
      transfers, tokens,
      {.success_status = 201,
       .status_of = status_of,
       .location = transfer_location,
       .rejection_location =
           [](once::domain::intent_key const& intent, once::domain::rejection const& refusal) {
             // Refused by the core, the transfer exists (failed); refused before the call, it does not.
             return refusal.code == "refused_by_core" ? "/v1/transfers/" + once::application::named_aggregate_id(intent)
                                                      : std::string{};
           },
       .rejection_status = {{"refused_by_core", 422}, {"transfer_exists", 409}},
       .validate = validate,
       .body = transfer_json});
  if (options.mode == "enforce") {
    routes.add("POST", "/v1/transfers", enforce);
  } else {
    // Observe: every request reaches the core as it comes; the first of an intent is recorded (and
    // books through the ordinary path), a repeat is counted as what enforce would have done and booked again.
    auto& metrics = host.stack().metrics();
    metrics.watch("once_observe_would_replay_total", "Repeats enforce mode would have answered from the record",
                  once::prometheus::prometheus_metrics::reading::counter,
                  [parts] { return static_cast<double>(parts->would_replay.load()); },
                  {{"route", "POST /v1/transfers"}});
    metrics.watch(
        "once_observe_would_conflict_total", "Keys reused with another payload, which enforce mode would refuse",
        once::prometheus::prometheus_metrics::reading::counter,
        [parts] { return static_cast<double>(parts->would_conflict.load()); }, {{"route", "POST /v1/transfers"}});
    routes.add("POST", "/v1/transfers", [parts, enforce, &transfers, &tokens](request const& incoming) {
      auto answered_as_new = [&] {
        auto answer = enforce(incoming);
        std::erase_if(answer.headers, [](auto const& header) { return header.first == "Idempotent-Replayed"; });
        return answer;
      };
      auto const tenant = tokens.authenticate(incoming);
      auto const key_header = incoming.header("idempotency-key");
      if (!tenant || !key_header) return answered_as_new();
      auto key = once::http::parse_idempotency_key(*key_header);
      auto command = once::domain::decode_json<create_transfer>(incoming.body);
      if (!key || !command || validate(*command)) return answered_as_new();
      once::domain::envelope env;
      env.tenant = *tenant;
      env.client_key = *key;
      auto const intent = transfers.intent_of(*command, env);
      if (!intent) return answered_as_new();
      auto const recorded = transfers.lookup(*intent);
      if (!recorded || !recorded->has_value()) return answered_as_new();
      bool const same = (*recorded)->fingerprint == once::application::fingerprint_of(*command);
      ++(same ? parts->would_replay : parts->would_conflict);
      // What enforce mode would not do: book it again, with the intent's reference, and answer as the core did.
      auto const reference = once::application::external_reference(intent->untyped());
      auto const booked =
          parts->booking.call(*command, reference, std::chrono::milliseconds{parts->options.legacy_timeout_ms});
      transfer_view view{once::application::named_aggregate_id(intent->untyped()),
                         "unknown",
                         std::nullopt,
                         reference,
                         command->amount,
                         command->from_account,
                         command->to_account,
                         "",
                         {}};
      if (booked.what == once::application::call_result<booking>::kind::refused) {
        return problem_response(
            {problem_kind::domain_rejection, booked.refusal.detail, std::nullopt, "refused_by_core", 422});
      }
      if (booked.what == once::application::call_result<booking>::kind::answered) {
        view.status = "completed";
        view.legacy_transfer_no = booked.answer->transfer_no;
      }
      auto answer = once::http::json_response(status_of(view), transfer_json(view));
      answer.headers.emplace_back("Location", transfer_location(view));
      answer.log_fields.emplace_back("observed", same ? "would_replay" : "would_conflict");
      return answer;
    });
  }

  routes.add("GET", "/v1/transfers/{transfer_id}", [&store, &tokens](request const& incoming) {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant) return tenant.error();
    auto const& id = incoming.params.at("transfer_id");
    auto const stored = store.read({std::string{transfer::type_name}, id, *tenant});
    if (!stored) return once::http::error_response(stored.error());
    if (!stored->has_value()) return problem_response({problem_kind::not_found, "no transfer " + id});
    auto const state = once::domain::decode_json<transfer_state>((*stored)->state);
    if (!state) return problem_response({problem_kind::internal_error, ""});
    return once::http::json_response(200, transfer_json(view_of(*state)));
  });

  auto& queue = host.stack().steps();
  routes.add("GET", "/v1/exceptions", [parts, &tokens, &queue](request const& incoming) {
    auto const caller = caller_of(*parts, tokens, incoming);
    if (!caller) return caller.error();
    auto const found = queue.exceptions(*caller, false);
    if (!found) return once::http::error_response(found.error());
    nlohmann::json list = nlohmann::json::array();
    for (auto const& entry : *found) list.push_back(exception_json(entry));
    return once::http::json_response(200, nlohmann::json{{"exceptions", list}}.dump());
  });
  routes.add("POST", "/v1/exceptions/{id}/resolution", [parts, &tokens, &queue](request const& incoming) {
    auto const caller = caller_of(*parts, tokens, incoming);
    if (!caller) return caller.error();
    auto const& text = incoming.params.at("id");
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos) {
      return problem_response({problem_kind::not_found, "no exception " + text});
    }
    auto const body = nlohmann::json::parse(incoming.body, nullptr, false);
    if (body.is_discarded()) return problem_response({problem_kind::malformed_json, "the body is not valid JSON"});
    if (!body.is_object() || !body.contains("note") || !body["note"].is_string() ||
        body["note"].get<std::string>().empty() || body["note"].get<std::string>().size() > 1000) {
      return problem_response({problem_kind::invalid_request, "note is 1-1000 characters of text", "note"});
    }
    auto const resolved = queue.resolve_exception(std::stoll(text), *caller, body["note"].get<std::string>());
    if (!resolved) return once::http::error_response(resolved.error());
    if (!resolved->has_value()) return problem_response({problem_kind::not_found, "no exception " + text});
    return once::http::json_response(200, exception_json(**resolved).dump());
  });

  // Everything else goes to the core as it came, for a caller with a valid token.
  routes.fallback([parts, &tokens](request const& incoming) {
    auto const caller = caller_of(*parts, tokens, incoming);
    if (!caller) return caller.error();
    return forward(*parts, incoming);
  });
}

}  // namespace legacy_facade::service
