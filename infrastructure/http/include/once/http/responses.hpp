/// \file
/// The responses every route builds: a JSON body, RFC 9457 problem details,
/// the 401 a bearer-token route answers, and the one home of how a store's
/// error is answered.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <once/application/error.hpp>
#include <once/http/problem.hpp>
#include <once/http/server.hpp>

namespace once::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] response json_response(int status, std::string body);
/// application/problem+json with the problem's status, plus `extra` headers (e.g. Retry-After).
[[nodiscard]] response problem_response(problem const& p, header_list extra = {});
/// 401 with WWW-Authenticate: Bearer, for a missing or unknown token.
[[nodiscard]] response unauthorized_response();
/// A store's error: invalid_argument 400 (its message is the detail);
/// outcome_unknown 503 outcome-unknown, and unavailable, aborted and
/// failed_precondition (e.g. the schema is missing) 503 service-unavailable,
/// all with Retry-After (retry with the same key); internal 500, without
/// Retry-After: repeating the same request is not expected to help.
[[nodiscard]] response error_response(application::error const& failure);

}  // namespace once::http
