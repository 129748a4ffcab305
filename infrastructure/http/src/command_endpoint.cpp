#include <once/http/command_endpoint.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>

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

domain::expected<nlohmann::json, response> query_object(request const& incoming) {
  auto fields = nlohmann::json::object();
  if (incoming.target.find('?') == std::string::npos) return fields;
  auto const target = boost::urls::parse_origin_form(incoming.target);
  if (!target)
    return domain::unexpected{problem_response({problem_kind::invalid_request, "the query does not parse", ""})};
  for (auto const& param : target->params()) {
    if (fields.contains(param.key)) {
      return domain::unexpected{
          problem_response({problem_kind::invalid_request, param.key + " is given more than once", param.key})};
    }
    fields[param.key] = param.value;
  }
  return fields;
}

}  // namespace once::http::detail
