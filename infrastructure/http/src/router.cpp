#include <string>
#include <string_view>
#include <vector>

#include <once/domain/text.hpp>
#include <once/http/problem.hpp>
#include <once/http/responses.hpp>
#include <once/http/server.hpp>

namespace once::http {
namespace {

// The path's segments, as views into it ("/v1/a/" -> "v1", "a", "").
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::size_t from = !path.empty() && path.front() == '/' ? 1 : 0;
  for (;;) {
    auto const slash = path.find('/', from);
    segments.push_back(path.substr(from, slash == std::string_view::npos ? std::string_view::npos : slash - from));
    if (slash == std::string_view::npos) return segments;
    from = slash + 1;
  }
}

bool is_capture(std::string const& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Why a decoded path parameter cannot name anything, or null. Ids end up in
// the store and in log lines: NUL, ill-formed UTF-8 and control characters
// are refused here, for every route, rather than cut or mangled later.
char const* unusable_parameter_reason(std::string_view value) {
  if (char const* unstorable = domain::unstorable_text_reason(value)) return unstorable;
  for (char const c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return "contains a control character";
  }
  return nullptr;
}

}  // namespace

void router::add(std::string method, std::string pattern, handler handle) {
  auto const segments = split_path(pattern);
  routes_.push_back(route_entry{std::move(method), {segments.begin(), segments.end()}, std::move(handle)});
}

void router::fallback(handler handle) {
  fallback_ = std::move(handle);
}

response router::route(request& incoming) const {
  auto const segments = split_path(incoming.path);  // views: matching copies nothing
  auto const matches = [&](route_entry const& entry) {
    if (entry.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
      bool const fits = is_capture(entry.segments[i]) ? !segments[i].empty() : entry.segments[i] == segments[i];
      if (!fits) return false;
    }
    return true;
  };
  std::string allowed;
  for (auto const& entry : routes_) {
    if (!matches(entry)) continue;
    bool const same_method = entry.method == incoming.method || (incoming.method == "HEAD" && entry.method == "GET");
    if (!same_method) {
      allowed += (allowed.empty() ? "" : ", ") + entry.method;
      continue;
    }
    incoming.params.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (!is_capture(entry.segments[i])) continue;
      auto name = entry.segments[i].substr(1, entry.segments[i].size() - 2);
      if (char const* unusable = unusable_parameter_reason(segments[i])) {
        return problem_response({problem_kind::invalid_request, name + ' ' + unusable, name});
      }
      incoming.params.emplace(std::move(name), segments[i]);
    }
    return entry.handle(incoming);
  }
  if (!allowed.empty()) {
    auto refused = problem_response({problem_kind::method_not_allowed, "this route answers " + allowed});
    refused.headers.emplace_back("Allow", allowed);
    return refused;
  }
  if (fallback_) return fallback_(incoming);
  return problem_response({problem_kind::not_found, "no route for this path"});
}

}  // namespace once::http
