#include <once/http/command_endpoint.hpp>

#include <boost/beast/core/string.hpp>

namespace once::http::detail {

bool is_json_content(std::optional<std::string_view> content_type) {
  if (!content_type.has_value()) return false;
  constexpr std::string_view json = "application/json";
  if (content_type->size() < json.size() || !boost::beast::iequals(content_type->substr(0, json.size()), json)) {
    return false;
  }
  auto const rest = content_type->substr(json.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

}  // namespace once::http::detail
