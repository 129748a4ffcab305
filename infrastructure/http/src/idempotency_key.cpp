#include <once/http/idempotency_key.hpp>

namespace once::http {
namespace {

// RFC 9110 tchar, plus ':' and '/' so that URNs, ULIDs and paths work bare.
bool is_bare_key_character(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
    case ':':
    case '/':
      return true;
    default:
      return false;
  }
}

bool is_printable_ascii(char c) noexcept {
  return c >= 0x20 && c <= 0x7e;
}

domain::unexpected<malformed_key> malformed(std::string reason) {
  return domain::unexpected<malformed_key>{malformed_key{std::move(reason)}};
}

std::string_view trim(std::string_view value) {
  auto const is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_space(value.back())) value.remove_suffix(1);
  return value;
}

// An sf-string: '"' *( unescaped / '\' ( '"' / '\' ) ) '"', nothing after it.
domain::expected<std::string, malformed_key> parse_quoted(std::string_view value) {
  std::string key;
  for (std::size_t i = 1; i < value.size(); ++i) {
    char const c = value[i];
    if (c == '\\') {
      if (i + 1 >= value.size() || (value[i + 1] != '"' && value[i + 1] != '\\')) {
        return malformed("a quoted key may escape only \" and \\");
      }
      key += value[++i];
    } else if (c == '"') {
      if (i + 1 != value.size()) return malformed("nothing may follow the quoted key (no lists, no parameters)");
      if (key.empty()) return malformed("the key is empty");
      if (key.size() > max_idempotency_key_length) return malformed("the key is longer than 255 characters");
      return key;
    } else if (!is_printable_ascii(c)) {
      return malformed("a quoted key holds printable ASCII characters only");
    } else {
      key += c;
    }
  }
  return malformed("the quoted key has no closing quote");
}

}  // namespace

domain::expected<std::string, malformed_key> parse_idempotency_key(std::string_view value) {
  value = trim(value);
  if (value.empty()) return malformed("the key is empty");
  if (value.front() == '"') return parse_quoted(value);
  if (value.size() > max_idempotency_key_length) return malformed("the key is longer than 255 characters");
  for (char c : value) {
    if (c == ',') return malformed("one key, not a list");
    if (c == ';') return malformed("a key takes no parameters");
    if (!is_bare_key_character(c)) {
      return malformed("a bare key is token characters, ':' and '/' only; quote it to use others");
    }
  }
  return std::string{value};
}

}  // namespace once::http
