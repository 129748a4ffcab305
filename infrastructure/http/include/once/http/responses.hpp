// The responses every route builds: a JSON body, RFC 9457 problem details,
// and the 401 a bearer-token route answers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <once/http/problem.hpp>
#include <once/http/server.hpp>

namespace once::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] response json_response(int status, std::string body);
// application/problem+json with the problem's status, plus `extra` headers (e.g. Retry-After).
[[nodiscard]] response problem_response(problem const& p, header_list extra = {});
// 401 with WWW-Authenticate: Bearer, for a missing or unknown token.
[[nodiscard]] response unauthorized_response();

}  // namespace once::http
