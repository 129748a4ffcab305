#include <once/http/responses.hpp>

namespace once::http {

response json_response(int status, std::string body) {
  return response{status, {{"Content-Type", "application/json"}}, std::move(body), {}};
}

response problem_response(problem const& p, header_list extra) {
  response answer{status_of(p), {{"Content-Type", "application/problem+json"}}, problem_json(p), {}};
  for (auto& header : extra) answer.headers.push_back(std::move(header));
  return answer;
}

response unauthorized_response() {
  return problem_response({problem_kind::unauthorized, "missing or unknown bearer token"},
                          {{"WWW-Authenticate", "Bearer"}});
}

}  // namespace once::http
