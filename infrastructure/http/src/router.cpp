#include <algorithm>
#include <string>

#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/http/server.hpp>

namespace once::http {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t from = 0;
  if (!path.empty() && path.front() == '/') from = 1;
  while (from <= path.size()) {
    auto const slash = path.find('/', from);
    auto const end = slash == std::string_view::npos ? path.size() : slash;
    segments.emplace_back(path.substr(from, end - from));
    if (slash == std::string_view::npos) break;
    from = slash + 1;
  }
  return segments;
}

bool is_capture(std::string const& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void router::add(std::string method, std::string pattern, handler handle) {
  routes_.push_back(route_entry{std::move(method), split_path(pattern), std::move(handle)});
}

response router::route(request& incoming) const {
  auto const segments = split_path(incoming.path);
  std::string allowed;
  for (auto const& entry : routes_) {
    if (entry.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      if (is_capture(entry.segments[i])) {
        if (segments[i].empty()) matches = false;
        params[entry.segments[i].substr(1, entry.segments[i].size() - 2)] = segments[i];
      } else {
        matches = entry.segments[i] == segments[i];
      }
    }
    if (!matches) continue;
    bool const same_method = entry.method == incoming.method || (incoming.method == "HEAD" && entry.method == "GET");
    if (!same_method) {
      allowed += (allowed.empty() ? "" : ", ") + entry.method;
      continue;
    }
    incoming.params = std::move(params);
    return entry.handle(incoming);
  }
  if (!allowed.empty()) {
    auto refused = problem_response({problem_kind::method_not_allowed, "this route answers " + allowed});
    refused.headers.emplace_back("Allow", allowed);
    return refused;
  }
  return problem_response({problem_kind::not_found, "no route for " + incoming.path});
}

}  // namespace once::http
