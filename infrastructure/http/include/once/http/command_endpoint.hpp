/// \file
/// The Idempotency-Key contract for one command route, so every service gets
/// it for free: authenticate (bearer token -> tenant), read the key, validate
/// the request (nothing is claimed or stored for an invalid one), build the
/// typed command from the JSON body and the path parameters, dispatch, and
/// map the outcome to a response:
///
///   applied            route's status (e.g. 201), result JSON, Location
///   replayed / no_op   the same status and body (plus Location), Idempotent-Replayed: true
///   rejected           the route's status for the rejection code (default 422), problem JSON;
///                      replayed the same way, with Idempotent-Replayed: true
///   intent_conflict    422 idempotency-key-reused
///   duplicate_rejected 409 duplicate-request
///   in_flight_timeout  409 request-in-flight, Retry-After
///   store unavailable  503 (+ Retry-After), outcome unknown 503 outcome-unknown
///
/// The response is a function of the stored outcome, so a replay carries the
/// first answer's status, body and Location. Each response carries log fields
/// (command, intent, outcome or error) for the server's request log.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include <once/application/command_dispatcher.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/domain/json_decode.hpp>
#include <once/http/bearer_tokens.hpp>
#include <once/http/idempotency_key.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/http/server.hpp>

namespace once::http {

template <class Command, class Result>
struct command_route {
  int success_status = 201;
  /// The status as a function of the result, when it depends on it (202 while
  /// an external step's outcome is pending, 201 once it is known); replays
  /// answer the status of the result they carry.
  std::function<int(Result const&)> status_of;
  /// Where the created resource lives, from the result; empty function: no Location.
  std::function<std::string(Result const&)> location;
  /// Where the resource lives when the answer is a rejection (no result to
  /// read it from), from the intent: for a resource that exists even though
  /// the command was refused (a transfer the other system refused is failed);
  /// empty: no Location for this rejection.
  std::function<std::string(domain::intent_key const&, domain::rejection const&)> rejection_location;
  /// Status per domain rejection code; codes not listed answer 422.
  std::map<std::string, int, std::less<>> rejection_status;
  /// Checks beyond types ("amounts are positive"): the offending field, or none.
  std::function<std::optional<domain::decode_error>(Command const&)> validate;
  /// The success body from the result (a replay renders the stored result the
  /// same way); none: the result's canonical JSON.
  std::function<std::string(Result const&)> body;
  /// The command's fields come from the path and the query string, not from a
  /// body (a DELETE): no Content-Type is asked for, and a body is not read.
  bool from_path_and_query = false;
};

namespace detail {

/// Whether the command's intent is named by the client's key (Idempotency-Key).
template <class A, class Command>
inline constexpr bool keyed_by_client =
    std::remove_cvref_t<decltype(domain::declaration_of<Command>(A::commands))>::uses_client_key;

/// A domain rejection as a problem, with the route's status for its code.
inline response refusal_answer(domain::rejection const& refusal,
                               std::map<std::string, int, std::less<>> const& statuses, header_list extra = {}) {
  auto const status = statuses.find(refusal.code);
  return problem_response({problem_kind::domain_rejection, refusal.detail, std::nullopt, refusal.code,
                           status == statuses.end() ? std::optional<int>{} : std::optional<int>{status->second}},
                          std::move(extra));
}

template <class Outcome, class Route>
std::string rejection_location_of(Outcome const& outcome, Route const& route) {
  return route.rejection_location ? route.rejection_location(outcome.intent(), outcome.refusal()) : std::string{};
}

/// The response for an outcome: a function of the stored outcome only, so a
/// replay carries the first answer's status, body and Location.
template <class Outcome, class Route>
response outcome_answer(Outcome const& outcome, Route const& route) {
  header_list replay_headers;
  if (outcome.kind() == domain::outcome_kind::replayed || outcome.kind() == domain::outcome_kind::no_op) {
    replay_headers.emplace_back("Idempotent-Replayed", "true");
  }
  switch (outcome.kind()) {
    case domain::outcome_kind::applied:
    case domain::outcome_kind::replayed:
    case domain::outcome_kind::no_op:
      if (outcome.has_result()) {
        response answer{route.status_of ? route.status_of(outcome.result()) : route.success_status,
                        {{"Content-Type", "application/json"}},
                        route.body ? route.body(outcome.result()) : domain::canonical_json(outcome.result()),
                        {}};
        if (route.location) answer.headers.emplace_back("Location", route.location(outcome.result()));
        for (auto& header : replay_headers) answer.headers.push_back(std::move(header));
        return answer;
      }
      if (auto where = rejection_location_of(outcome, route); !where.empty()) {
        replay_headers.emplace_back("Location", std::move(where));
      }
      return refusal_answer(outcome.refusal(), route.rejection_status, std::move(replay_headers));
    case domain::outcome_kind::rejected:
      if (auto where = rejection_location_of(outcome, route); !where.empty()) {
        return refusal_answer(outcome.refusal(), route.rejection_status, {{"Location", std::move(where)}});
      }
      return refusal_answer(outcome.refusal(), route.rejection_status);
    case domain::outcome_kind::intent_conflict:
      return problem_response({problem_kind::idempotency_key_reused,
                               // The key may be the Idempotency-Key or a field of the command (a submission id).
                               "this intent's key was first used for a " +
                                   (outcome.first() ? outcome.first()->command_type : std::string{"request"}) +
                                   " with another payload"});
    case domain::outcome_kind::duplicate_rejected:
      return problem_response({problem_kind::duplicate_request,
                               "this intent was already carried out (aggregate version " +
                                   std::to_string(outcome.first() ? outcome.first()->aggregate_version : 0) + ")"});
    case domain::outcome_kind::in_flight_timeout:
      return problem_response({problem_kind::request_in_flight, ""}, {{"Retry-After", "1"}});
  }
  return problem_response({problem_kind::internal_error, ""});
}

/// Content-Type application/json, in any case, with or without parameters.
[[nodiscard]] bool is_json_content(std::optional<std::string_view> content_type);

inline response malformed_json_answer() {
  return problem_response({problem_kind::malformed_json, "the body is not valid JSON"});
}

inline response not_an_object_answer() {
  return problem_response({problem_kind::invalid_request, "the body must be a JSON object", ""});
}

inline response invalid_field_answer(domain::decode_error const& error) {
  return problem_response({problem_kind::invalid_request, error.message(), error.field});
}

/// The command from the body alone, decoded straight from the parser's events.
/// Decoding stops at the first field it refuses, before the parser has seen
/// the rest: a refused body is checked whole, so that one which is not JSON at
/// all is told so rather than blamed on a field.
template <class Command>
domain::expected<Command, response> command_from_body(std::string const& body) {
  auto command = domain::decode_json<Command>(body, domain::unknown_members::refused);
  if (command.has_value()) return std::move(*command);
  if (!nlohmann::json::accept(body)) return domain::unexpected{malformed_json_answer()};
  auto const first = body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || body[first] != '{') return domain::unexpected{not_an_object_answer()};
  return domain::unexpected{invalid_field_answer(command.error())};
}

/// The dotted path of the first member an object of TEXT gives twice, if any.
[[nodiscard]] std::optional<std::string> member_given_twice(std::string const& text);

/// The command from request fields gathered into one object: a field the
/// command does not have is refused, like one of the wrong type.
template <class Command>
domain::expected<Command, response> strictly_decoded(nlohmann::json const& fields) {
  auto command = domain::decode_json<Command>(fields.dump(), domain::unknown_members::refused);
  if (!command.has_value()) return domain::unexpected{invalid_field_answer(command.error())};
  return std::move(*command);
}

/// The command from the body and the route's path parameters: the path names
/// the resource, and the body may repeat it but not contradict it.
template <class Command>
domain::expected<Command, response> command_from_body_and_path(request const& incoming) {
  auto body = nlohmann::json::parse(incoming.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return domain::unexpected{malformed_json_answer()};
  if (!body.is_object()) return domain::unexpected{not_an_object_answer()};
  // The parser keeps one of two equal members silently: they are looked for in the text first.
  if (auto const twice = member_given_twice(incoming.body)) {
    return domain::unexpected{problem_response({problem_kind::invalid_request, *twice + ": appears twice", *twice})};
  }
  for (auto const& [name, value] : incoming.params) {
    if (auto const given = body.find(name); given != body.end() && *given != value) {
      return domain::unexpected{
          problem_response({problem_kind::invalid_request, name + " differs from the path", name})};
    }
    body[name] = value;
  }
  return strictly_decoded<Command>(body);
}

/// The query string's parameters as a JSON object of strings; a parameter
/// given twice is refused (400 naming it), as it names no one value.
[[nodiscard]] domain::expected<nlohmann::json, response> query_object(request const& incoming);

/// The command from the path parameters and the query string; the path wins nothing
/// over the query: a parameter in both that differs is refused.
template <class Command>
domain::expected<Command, response> command_from_path_and_query(request const& incoming) {
  auto fields = query_object(incoming);
  if (!fields.has_value()) return domain::unexpected{std::move(fields).error()};
  for (auto const& [name, value] : incoming.params) {
    if (auto const given = fields->find(name); given != fields->end() && *given != value) {
      return domain::unexpected{
          problem_response({problem_kind::invalid_request, name + " differs from the path", name})};
    }
    (*fields)[name] = value;
  }
  return strictly_decoded<Command>(*fields);
}

}  // namespace detail

template <domain::aggregate A, class Command>
handler command_endpoint(application::command_dispatcher<A>& dispatcher, bearer_tokens const& tokens,
                         command_route<Command, domain::result_of<A, Command>> route) {
  return [&dispatcher, &tokens, route = std::move(route)](request const& incoming) -> response {
    auto const tenant = tokens.authenticate(incoming);
    if (!tenant.has_value()) return tenant.error();
    // The command table says what names the intent: the client's key (then the
    // Idempotency-Key header is required and checked) or a field of the
    // command (then the header is not needed, and one sent is ignored).
    std::optional<std::string> key;
    if constexpr (detail::keyed_by_client<A, Command>) {
      auto const key_header = incoming.header("idempotency-key");
      if (!key_header.has_value()) {
        return problem_response({problem_kind::missing_idempotency_key, ""});
      }
      if (incoming.header_lines("idempotency-key") > 1) {
        return problem_response({problem_kind::malformed_idempotency_key, "send one Idempotency-Key field line"});
      }
      auto parsed = parse_idempotency_key(*key_header);
      if (!parsed.has_value()) {
        return problem_response({problem_kind::malformed_idempotency_key, parsed.error().reason});
      }
      key = std::move(*parsed);
    }
    if (!route.from_path_and_query && !detail::is_json_content(incoming.header("content-type"))) {
      return problem_response({problem_kind::unsupported_media_type, "send the body as application/json"});
    }
    auto command = route.from_path_and_query ? detail::command_from_path_and_query<Command>(incoming)
                   : incoming.params.empty() ? detail::command_from_body<Command>(incoming.body)
                                             : detail::command_from_body_and_path<Command>(incoming);
    if (!command.has_value()) return std::move(command).error();
    if (route.validate) {
      if (auto const invalid = route.validate(*command)) return detail::invalid_field_answer(*invalid);
    }

    domain::envelope env;
    env.tenant = *tenant;
    env.principal = "bearer:" + *tenant;
    env.client_key = std::move(key);
    env.correlation_id = std::string{incoming.header("x-request-id").value_or("")};
    env.trace_parent = std::string{incoming.header("traceparent").value_or("")};
    env.received_at = std::chrono::system_clock::now();

    auto const outcome = dispatcher.dispatch(*command, env);
    response answer = outcome.has_value() ? detail::outcome_answer(*outcome, route) : error_response(outcome.error());
    answer.log_fields.emplace_back("command", std::string{Command::type_name});
    if (outcome.has_value()) {
      answer.log_fields.emplace_back("intent", domain::to_string(outcome->intent()));
      answer.log_fields.emplace_back("outcome", std::string{domain::to_string(outcome->kind())});
    } else {
      if (auto const intent = dispatcher.intent_of(*command, env); intent.has_value()) {
        answer.log_fields.emplace_back("intent", domain::to_string(intent->untyped()));
      }
      answer.log_fields.emplace_back(
          "error", std::string{application::to_string(outcome.error().code)} + ": " + outcome.error().message);
      if (!outcome.error().store_code.empty()) answer.log_fields.emplace_back("store_code", outcome.error().store_code);
    }
    return answer;
  };
}

}  // namespace once::http
