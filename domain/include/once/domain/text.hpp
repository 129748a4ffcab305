/// \file
/// What text the framework accepts as an id or a string field: well-formed
/// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF)
/// without NUL. PostgreSQL's text and jsonb refuse NUL and ill-formed UTF-8,
/// and libpq cuts a string at its first NUL, so such text is refused where it
/// is decoded (a 400 naming the field), never passed on to the store.
#pragma once

#include <cstddef>
#include <string_view>

namespace once::domain {

/// The length of the well-formed UTF-8 sequence at the start of `text`, or 0
/// when it starts with none (or is empty).
[[nodiscard]] constexpr std::size_t utf8_sequence_length(std::string_view text) noexcept {
  if (text.empty()) return 0;
  auto const byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  auto const continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  auto const lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && byte(1) > 0x9F) return 0;  // a surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && byte(1) > 0x8F) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

/// Why `text` cannot be stored ("contains a NUL character", "is not valid
/// UTF-8"), or null when it can.
[[nodiscard]] constexpr char const* unstorable_text_reason(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\0') return "contains a NUL character";
    auto const length = utf8_sequence_length(text.substr(i));
    if (length == 0) return "is not valid UTF-8";
    i += length;
  }
  return nullptr;
}

}  // namespace once::domain
