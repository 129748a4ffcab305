#include "claims_routes.hpp"

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/json_decode.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/service/service.hpp>

#include <claims/domain/claim.hpp>

namespace claims::service {
namespace {

using namespace claims::domain;
using once::domain::decode_error;
using once::http::problem_kind;
using once::http::problem_response;
using once::http::request;
using once::http::response;

constexpr std::size_t max_description_length = 500;

std::optional<decode_error> check_money(money const& amount, std::string const& field) {
  if (amount.value <= 0) return decode_error{field + ".value", "must be a positive integer of minor units"};
  if (!is_currency_code(amount.currency)) {
    return decode_error{field + ".currency", "must be an ISO 4217 code such as EUR"};
  }
  return std::nullopt;
}

std::optional<decode_error> check_id(std::string const& id, std::string const& field) {
  if (!is_valid_id(id)) return decode_error{field, "must be 1-64 characters of A-Z a-z 0-9 _ -"};
  return std::nullopt;
}

nlohmann::json money_json(money const& amount) {
  return {{"value", amount.value}, {"currency", amount.currency}};
}

// A claim as the API shows it: screening null until recorded, then {"result": ...}.
std::string claim_json(claim_view const& view) {
  nlohmann::json body{{"claim_id", view.claim_id},
                      {"claimant_id", view.claimant_id},
                      {"policy_id", view.policy_id},
                      {"amount", money_json(view.amount)},
                      {"status", view.status},
                      {"screening", nullptr},
                      {"disbursed_total", money_json(view.disbursed_total)}};
  if (view.screening.has_value()) body["screening"] = {{"result", *view.screening}};
  return body.dump();
}

std::string disbursement_json(disbursement_view const& view) {
  return nlohmann::json{{"disbursement_id", view.disbursement_id},
                        {"claim_id", view.claim_id},
                        {"amount", money_json(view.amount)},
                        {"payee", view.payee}}
      .dump();
}

std::map<std::string, int, std::less<>> const rejection_statuses{{"claim_not_found", 404}, {"claim_exists", 409}};

}  // namespace

void add_routes(once::service::host& host) {
  auto& routes = host.routes();
  auto& claims = host.dispatcher<claim>();
  auto& store = host.commands();
  auto const& tokens = host.tokens();

  // Keyed by the body's submission_id (the table says so): no Idempotency-Key needed, one sent is not read.
  routes.add("POST", "/v1/claims",
             once::http::command_endpoint<claim, submit_claim>(
                 claims, tokens,
                 {.success_status = 201,
                  .location = [](claim_view const& v) { return "/v1/claims/" + v.claim_id; },
                  .rejection_status = rejection_statuses,
                  .validate = [](submit_claim const& c) -> std::optional<decode_error> {
                    if (auto bad = check_id(c.submission_id, "submission_id")) return bad;
                    if (auto bad = check_id(c.claimant_id, "claimant_id")) return bad;
                    if (auto bad = check_id(c.policy_id, "policy_id")) return bad;
                    if (auto bad = check_money(c.amount, "amount")) return bad;
                    if (c.description.size() > max_description_length) {
                      return decode_error{"description", "is longer than 500 bytes"};
                    }
                    return std::nullopt;
                  },
                  .body = claim_json}));
  routes.add("POST", "/v1/claims/{claim_id}/disbursements",
             once::http::command_endpoint<claim, approve_disbursement>(
                 claims, tokens,
                 {.success_status = 201,
                  .rejection_status = rejection_statuses,
                  .validate = [](approve_disbursement const& c) -> std::optional<decode_error> {
                    if (auto bad = check_money(c.amount, "amount")) return bad;
                    return check_id(c.payee, "payee");
                  },
                  .body = disbursement_json}));
  routes.add("GET", "/v1/claims/{claim_id}", [&store, &tokens](request const& incoming) {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant) return tenant.error();
    auto const& claim_id = incoming.params.at("claim_id");
    auto const stored = store.read({std::string{claim::type_name}, claim_id, *tenant});
    if (!stored) return once::http::error_response(stored.error());
    if (!stored->has_value()) return problem_response({problem_kind::not_found, "no claim " + claim_id});
    auto const state = once::domain::decode_json<claim_state>((*stored)->state);
    if (!state) return problem_response({problem_kind::internal_error, ""});
    return once::http::json_response(200, claim_json(view_of(*state)));
  });
}

}  // namespace claims::service
