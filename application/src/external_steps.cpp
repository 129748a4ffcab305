#include <once/application/command_dispatcher.hpp>
#include <once/application/external_steps.hpp>
#include <once/application/fingerprint.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace once::application {
namespace {

std::vector<std::uint8_t> bytes_of_hex(std::string_view hex) {
  auto const nibble = [](char c) -> std::uint8_t {
    return static_cast<std::uint8_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  };
  std::vector<std::uint8_t> bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<std::uint8_t>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return bytes;
}

// RFC 4648's URL-safe alphabet without padding: every character is RFC 3986 unreserved.
std::string base64url(std::vector<std::uint8_t> const& bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (auto byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

// Length-prefixed parts: no choice of tenant, scope and key can collide with another's.
std::string digest_of(std::string_view purpose, domain::intent_key const& intent) {
  std::string input{purpose};
  input += '\n';
  for (auto const* part : {&intent.tenant, &intent.scope, &intent.key}) {
    input += std::to_string(part->size());
    input += ':';
    input += *part;
  }
  return base64url(bytes_of_hex(sha256_hex(input)));
}

}  // namespace

std::string external_reference(domain::intent_key const& intent) {
  return "once-" + digest_of("once-external-reference", intent);
}

std::string named_aggregate_id(domain::intent_key const& intent) {
  return digest_of("once-aggregate-id", intent).substr(0, 22);
}

std::string_view to_string(step_status status) noexcept {
  switch (status) {
    case step_status::pending:
      return "pending";
    case step_status::unknown:
      return "unknown";
    case step_status::concluded:
      return "concluded";
    case step_status::needs_review:
      return "needs_review";
  }
  return "pending";
}

std::string_view to_string(recovery_result result) noexcept {
  switch (result) {
    case recovery_result::recovered:
      return "recovered";
    case recovery_result::recalled:
      return "recalled";
    case recovery_result::waiting:
      return "waiting";
    case recovery_result::not_asked:
      return "not_asked";
    case recovery_result::needs_review:
      return "needs_review";
    case recovery_result::lost:
      return "lost";
  }
  return "lost";
}

}  // namespace once::application
