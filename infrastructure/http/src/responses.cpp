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

response error_response(application::error const& failure) {
  switch (failure.code) {
    case application::error_code::invalid_argument:
      return problem_response({problem_kind::invalid_request, failure.message});
    case application::error_code::outcome_unknown:
      return problem_response({problem_kind::outcome_unknown, ""}, {{"Retry-After", "1"}});
    case application::error_code::unavailable:
    case application::error_code::aborted:
    case application::error_code::failed_precondition:  // e.g. the schema is missing: unusable until an operator acts
      return problem_response({problem_kind::service_unavailable, ""}, {{"Retry-After", "1"}});
    case application::error_code::internal:
      break;
  }
  return problem_response({problem_kind::internal_error, ""});
}

}  // namespace once::http
