#include <once/http/bearer_tokens.hpp>

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <boost/beast/core/string.hpp>

#include <once/http/problem.hpp>
#include <once/http/responses.hpp>

namespace once::http {
namespace {

std::array<unsigned char, 32> sha256_of(std::string_view text) {
  std::array<unsigned char, 32> out{};
  if (SHA256(reinterpret_cast<unsigned char const*>(text.data()), text.size(), out.data()) == nullptr) {
    throw std::runtime_error("once: OpenSSL could not compute SHA-256");  // only when OpenSSL itself is broken
  }
  return out;
}

}  // namespace

application::result<bearer_tokens> bearer_tokens::parse(std::vector<std::string> const& specs) {
  bearer_tokens tokens;
  for (auto const& spec : specs) {
    auto const colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
      return application::fail(application::error_code::invalid_argument,
                               "an auth token is given as TOKEN:TENANT, both non-empty");
    }
    auto const token = std::string_view{spec}.substr(0, colon);
    if (tokens.find(token) != nullptr) {
      return application::fail(application::error_code::invalid_argument, "an auth token is given twice");
    }
    tokens.add(token, spec.substr(colon + 1));
  }
  return tokens;
}

void bearer_tokens::add(std::string_view token, std::string tenant) {
  auto const token_digest = sha256_of(token);
  for (auto& known : tokens_) {
    if (known.token_digest == token_digest) {
      known.tenant = std::move(tenant);
      return;
    }
  }
  tokens_.push_back({token_digest, std::move(tenant)});
}

bearer_tokens::known_token const* bearer_tokens::find(std::string_view token) const {
  auto const presented = sha256_of(token);
  known_token const* match = nullptr;
  // Every configured digest is compared, each in constant time: no early exit.
  for (auto const& known : tokens_) {
    if (CRYPTO_memcmp(known.token_digest.data(), presented.data(), presented.size()) == 0) match = &known;
  }
  return match;
}

domain::expected<std::string, response> bearer_tokens::authenticate(request const& incoming) const {
  if (incoming.header_lines("authorization") > 1) {
    return domain::unexpected{
        problem_response({problem_kind::invalid_request, "send one Authorization field line", "authorization"})};
  }
  auto const authorization = incoming.header("authorization");
  if (!authorization.has_value()) return domain::unexpected{unauthorized_response()};
  constexpr std::string_view scheme = "bearer ";
  if (authorization->size() <= scheme.size()) return domain::unexpected{unauthorized_response()};
  if (!boost::beast::iequals(authorization->substr(0, scheme.size()), scheme)) {  // the scheme is case-insensitive
    return domain::unexpected{unauthorized_response()};
  }
  auto const* const known = find(authorization->substr(scheme.size()));
  if (known == nullptr) return domain::unexpected{unauthorized_response()};
  return known->tenant;
}

}  // namespace once::http
