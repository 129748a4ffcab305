/// \file
/// RFC 9457 problem details: every error the HTTP adapter answers. Each kind
/// has a stable type URI, a title, a status and a sentence telling the client
/// what to do (docs/http.md lists them): retry with the same key, fix the
/// request, or stop / use a new key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace once::http {

enum class problem_kind {
  missing_idempotency_key,    // 400: fix the request
  malformed_idempotency_key,  // 400: fix the request
  malformed_json,             // 400: fix the request
  invalid_request,            // 400: fix the field named in `field`
  unauthorized,               // 401: send a valid bearer token
  not_found,                  // 404
  method_not_allowed,         // 405
  unsupported_media_type,     // 415: send application/json
  payload_too_large,          // 413: send less
  idempotency_key_reused,     // 422: the key was used with another payload: stop, or use a new key
  request_in_flight,          // 409 + Retry-After: retry later with the same key
  duplicate_request,          // 409: a reject_conflict command repeated: stop
  domain_rejection,           // 4xx chosen by the route: the business said no (stored and replayed)
  service_unavailable,        // 503 + Retry-After: retry with the same key
  outcome_unknown,            // 503 + Retry-After: retry with the same key; it is safe
  headers_too_large,          // 431: send fewer or smaller header fields
  internal_error,             // 500
  bad_gateway,                // 502: the system behind a facade did not answer
};

struct problem_type {
  std::string_view uri;  // stable: "urn:once:problem:<name>"
  std::string_view title;
  int status;
  std::string_view advice;  // what the client should do, for docs and logs
};

[[nodiscard]] problem_type const& type_of(problem_kind kind) noexcept;

struct problem {
  problem_kind kind;
  std::string detail;                  // specific to this occurrence; never personal or payment data
  std::optional<std::string> field;    // invalid_request: the offending field's path
  std::optional<std::string> code;     // domain_rejection: the rejection's code
  std::optional<int> status_override;  // domain_rejection: the route's status for this code
};

[[nodiscard]] int status_of(problem const& p) noexcept;

/// The application/problem+json body: type, title, status, detail (+ field, code).
[[nodiscard]] std::string problem_json(problem const& p);

}  // namespace once::http
