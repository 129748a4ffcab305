// Who is calling: `Authorization: Bearer <token>`, with tokens mapped to
// tenants by configuration ("TOKEN:TENANT"). The tenant is part of every
// intent id and never comes from the request body.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <once/application/error.hpp>
#include <once/http/server.hpp>

namespace once::http {

class bearer_tokens {
 public:
  // Each spec is "TOKEN:TENANT"; both parts non-empty, tokens unique.
  [[nodiscard]] static application::result<bearer_tokens> parse(std::vector<std::string> const& specs);

  void add(std::string token, std::string tenant) { tenants_[std::move(token)] = std::move(tenant); }
  // The caller's tenant, or none for a missing, malformed or unknown token.
  [[nodiscard]] std::optional<std::string> tenant_of(request const& incoming) const;
  [[nodiscard]] bool empty() const noexcept { return tenants_.empty(); }

 private:
  std::map<std::string, std::string, std::less<>> tenants_;
};

}  // namespace once::http
