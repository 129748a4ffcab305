#include <once/http/command_endpoint.hpp>

#include <set>
#include <vector>

#include <boost/beast/core/string.hpp>
#include <boost/url/parse.hpp>

namespace once::http::detail {
namespace {

/// Parser events checked for one thing: an object member named twice.
class duplicate_finder : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::optional<std::string> found;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, string_t const&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    open(true);
    return true;
  }
  bool start_array(std::size_t) override {
    open(false);
    return true;
  }
  bool key(string_t& name) override {
    auto& top = scopes_.back();
    top.key = name;
    if (!top.names.insert(name).second) {
      found = path();
      return false;
    }
    return true;
  }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t, std::string const&, nlohmann::detail::exception const&) override { return false; }

 private:
  struct scope {
    bool is_object = false;
    std::size_t index = 0;  // arrays: elements so far
    std::string key;        // objects: the member being read
    std::set<std::string, std::less<>> names;
  };

  bool value() {
    if (!scopes_.empty() && !scopes_.back().is_object) ++scopes_.back().index;
    return true;
  }
  void open(bool is_object) {
    value();
    scopes_.push_back(scope{is_object, 0, {}, {}});
  }
  bool close() {
    scopes_.pop_back();
    return true;
  }
  std::string path() const {
    std::string dotted;
    for (auto const& s : scopes_) {
      if (!s.is_object) {
        dotted += '[' + std::to_string(s.index - 1) + ']';
      } else {
        if (!dotted.empty()) dotted += '.';
        dotted += s.key;
      }
    }
    return dotted;
  }

  std::vector<scope> scopes_;
};

}  // namespace

std::optional<std::string> member_given_twice(std::string const& text) {
  duplicate_finder finder;
  nlohmann::json::sax_parse(text, &finder);
  return finder.found;
}

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
