/// \file
/// Who is calling: `Authorization: Bearer <token>`, with tokens mapped to
/// tenants by configuration ("TOKEN:TENANT"). The tenant is part of every
/// intent id and never comes from the request body.
///
/// Tokens are kept as SHA-256 digests and a presented token's digest is
/// compared with every configured one in constant time, so the time an answer
/// takes says nothing about how much of a token an attacker guessed right.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <once/application/error.hpp>
#include <once/domain/expected.hpp>
#include <once/http/server.hpp>

namespace once::http {

class bearer_tokens {
 public:
  /// Each spec is "TOKEN:TENANT"; both parts non-empty, tokens unique.
  [[nodiscard]] static application::result<bearer_tokens> parse(std::vector<std::string> const& specs);

  /// Adds a token; a token given again now names `tenant`.
  void add(std::string_view token, std::string tenant);
  /// The caller's tenant, or the answer to give instead: 401 for a missing,
  /// malformed or unknown token, 400 when the request carries two Authorization
  /// field lines (a list, which names no one caller).
  [[nodiscard]] domain::expected<std::string, response> authenticate(request const& incoming) const;
  [[nodiscard]] bool empty() const noexcept { return tokens_.empty(); }

 private:
  using digest = std::array<unsigned char, 32>;
  struct known_token {
    digest token_digest;
    std::string tenant;
  };
  [[nodiscard]] known_token const* find(std::string_view token) const;

  std::vector<known_token> tokens_;
};

}  // namespace once::http
