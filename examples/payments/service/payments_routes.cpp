#include "payments_routes.hpp"

#include <map>
#include <optional>
#include <string>

#include <once/application/entity_reading.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/http/command_endpoint.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/service/service.hpp>

#include <payments/domain/account.hpp>
#include <payments/domain/account_views.hpp>
#include <payments/domain/ids.hpp>
#include <payments/domain/money.hpp>

namespace payments::service {
namespace {

using namespace payments::domain;
using once::domain::decode_error;
using once::http::problem_kind;
using once::http::problem_response;
using once::http::request;
using once::http::response;

// Request validation: nothing is claimed or stored for an invalid request.
std::optional<decode_error> check_money(money const& amount, std::string const& field) {
  if (amount.value <= 0) return decode_error{field + ".value", "must be a positive integer of minor units"};
  if (!is_currency_code(amount.currency))
    return decode_error{field + ".currency", "must be an ISO 4217 code such as EUR"};
  return std::nullopt;
}

std::optional<decode_error> check_description(std::string const& description) {
  if (description.size() > max_description_length) {
    return decode_error{"description", "is longer than " + std::to_string(max_description_length) + " bytes"};
  }
  return std::nullopt;
}

// Where a rejection code leads, over HTTP.
std::map<std::string, int, std::less<>> const rejection_statuses{
    {"account_not_found", 404}, {"payment_not_found", 404}, {"account_exists", 409}};

std::string account_location(account_view const& view) {
  return "/v1/accounts/" + view.account_id;
}
std::string payment_location(payment_view const& view) {
  return "/v1/payments/" + view.payment_id;
}

// The caller's account state, or the response that says why there is none.
// Its payments are read from the store when looked at.
std::optional<account_state> load_account(once::application::command_store& store, std::string const& tenant,
                                          std::string const& account_id, response& failure) {
  auto state =
      once::application::read_state<account_state>(store, {std::string{account::type_name}, account_id, tenant});
  if (!state.has_value()) {
    failure = once::http::error_response(state.error());
    return std::nullopt;
  }
  if (!state->has_value()) {
    failure = problem_response({problem_kind::not_found, "no account " + account_id});
    return std::nullopt;
  }
  return std::move(**state);
}

}  // namespace

void add_routes(once::service::host& host) {
  auto& routes = host.routes();
  auto& accounts = host.dispatcher<account>();
  auto& store = host.commands();
  auto const& tokens = host.tokens();
  routes.add("POST", "/v1/accounts",
             once::http::command_endpoint<account, open_account>(
                 accounts, tokens,
                 {.success_status = 201,
                  .location = account_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](open_account const& c) -> std::optional<decode_error> {
                    if (!is_valid_account_id(c.account_id)) {
                      return decode_error{"account_id", "must be 1-64 characters of A-Z a-z 0-9 _ -"};
                    }
                    if (auto bad = check_money({1, c.currency}, "credit_limit"))
                      return decode_error{"currency", bad->problem};
                    if (c.credit_limit < 0) return decode_error{"credit_limit", "must not be negative"};
                    return std::nullopt;
                  }}));
  routes.add("POST", "/v1/payments",
             once::http::command_endpoint<account, authorize_payment>(
                 accounts, tokens,
                 {.success_status = 201,
                  .location = payment_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](authorize_payment const& c) -> std::optional<decode_error> {
                    if (auto bad = check_money(c.amount, "amount")) return bad;
                    return check_description(c.description);
                  }}));
  routes.add("POST", "/v1/payments/{payment_id}/captures",
             once::http::command_endpoint<account, capture_payment>(
                 accounts, tokens,
                 {.success_status = 201,
                  .location = payment_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](capture_payment const& c) { return check_money(c.amount, "amount"); }}));
  routes.add("PUT", "/v1/payments/{payment_id}/description",
             once::http::command_endpoint<account, set_payment_description>(
                 accounts, tokens,
                 {.success_status = 200,
                  .location = payment_location,
                  .rejection_status = rejection_statuses,
                  .validate = [](set_payment_description const& c) { return check_description(c.description); }}));
  routes.add("POST", "/v1/payments/{payment_id}/refunds",
             once::http::command_endpoint<account, refund_payment>(
                 accounts, tokens,
                 {.success_status = 201,
                  .location = [](refund_view const& v) { return "/v1/payments/" + v.payment_id; },
                  .rejection_status = rejection_statuses,
                  .validate = [](refund_payment const& c) -> std::optional<decode_error> {
                    if (!is_valid_account_id(c.refund_id)) {
                      return decode_error{"refund_id", "must be 1-64 characters of A-Z a-z 0-9 _ -"};
                    }
                    return check_money(c.amount, "amount");
                  }}));
  routes.add(
      "POST", "/v1/accounts/{account_id}/payouts",
      once::http::command_endpoint<account, pay_out>(
          accounts, tokens,
          {.success_status = 201,
           .location = [](payout_view const& v) { return "/v1/accounts/" + v.account_id + "/payouts/" + v.payout_id; },
           .rejection_status = rejection_statuses,
           .validate = [](pay_out const& c) { return check_money(c.amount, "amount"); }}));

  routes.add("GET", "/v1/accounts/{account_id}", [&store, &tokens](request const& incoming) {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant) return tenant.error();
    response failure;
    auto const state = load_account(store, *tenant, incoming.params.at("account_id"), failure);
    if (!state) return failure;
    return once::http::json_response(200, once::domain::canonical_json(view_of(*state)));
  });
  routes.add("GET", "/v1/payments/{payment_id}", [&store, &tokens](request const& incoming) {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant) return tenant.error();
    auto const& payment_id = incoming.params.at("payment_id");
    response failure;
    auto const state = load_account(store, *tenant, account_of_payment(payment_id), failure);
    if (!state) {
      if (failure.status == 404) return problem_response({problem_kind::not_found, "no payment " + payment_id});
      return failure;
    }
    try {
      auto const view = view_of_payment(*state, payment_id);
      if (!view) return problem_response({problem_kind::not_found, "no payment " + payment_id});
      return once::http::json_response(200, once::domain::canonical_json(*view));
    } catch (once::application::entity_unavailable const& unavailable) {
      return once::http::error_response(unavailable.why);
    }
  });
}

}  // namespace payments::service
