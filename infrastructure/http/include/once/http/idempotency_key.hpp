/// \file
/// The Idempotency-Key request header (IETF httpapi draft "The
/// Idempotency-Key HTTP Header Field"), parsed the way DESIGN.md fixes it:
///
///   Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"   (structured-field string)
///   Idempotency-Key: 8e03978e-40d5-43e8-bc93-6894a57f9324     (bare, as most clients send it)
///
/// Both name the same key. A bare key is 1-255 RFC 9110 token characters plus
/// ':' and '/'; a quoted key is 1-255 printable ASCII characters with \" and
/// \\ escapes. Anything else (a list, parameters, spaces in a bare key,
/// control characters, more than 255 characters) is malformed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <once/domain/expected.hpp>

namespace once::http {

inline constexpr std::size_t max_idempotency_key_length = 255;

struct malformed_key {
  std::string reason;  // for the problem detail: what is wrong, never the key itself
};

/// The key named by the header's value (surrounding spaces and tabs ignored).
[[nodiscard]] domain::expected<std::string, malformed_key> parse_idempotency_key(std::string_view value);

}  // namespace once::http
