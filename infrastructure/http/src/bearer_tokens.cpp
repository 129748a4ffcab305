#include <once/http/bearer_tokens.hpp>

namespace once::http {

application::result<bearer_tokens> bearer_tokens::parse(std::vector<std::string> const& specs) {
  bearer_tokens tokens;
  for (auto const& spec : specs) {
    auto const colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
      return application::fail(application::error_code::invalid_argument,
                               "an auth token is given as TOKEN:TENANT, both non-empty");
    }
    auto token = spec.substr(0, colon);
    if (tokens.tenants_.contains(token)) {
      return application::fail(application::error_code::invalid_argument, "an auth token is given twice");
    }
    tokens.add(std::move(token), spec.substr(colon + 1));
  }
  return tokens;
}

std::optional<std::string> bearer_tokens::tenant_of(request const& incoming) const {
  auto const authorization = incoming.header("authorization");
  if (!authorization.has_value()) return std::nullopt;
  constexpr std::string_view scheme = "bearer ";
  if (authorization->size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {  // the scheme is case-insensitive
    if (std::tolower(static_cast<unsigned char>((*authorization)[i])) != scheme[i]) return std::nullopt;
  }
  auto const found = tenants_.find(authorization->substr(scheme.size()));
  if (found == tenants_.end()) return std::nullopt;
  return found->second;
}

}  // namespace once::http
