#include "renaming.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace once::new_service {
namespace {

bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_identifier_char(char c) {
  return is_lower(c) || is_upper(c) || is_digit(c) || c == '_';
}

constexpr std::size_t longest_name = 40;

// C++20's keywords and alternative tokens: a namespace cannot have these names.
constexpr std::string_view keywords[]{
    "alignas",     "alignof",   "and",        "and_eq",    "asm",      "auto",         "bitand",
    "bitor",       "bool",      "break",      "case",      "catch",    "char",         "char8_t",
    "char16_t",    "char32_t",  "class",      "compl",     "concept",  "const",        "consteval",
    "constexpr",   "constinit", "const_cast", "continue",  "co_await", "co_return",    "co_yield",
    "decltype",    "default",   "delete",     "do",        "double",   "dynamic_cast", "else",
    "enum",        "explicit",  "export",     "extern",    "false",    "float",        "for",
    "friend",      "goto",      "if",         "inline",    "int",      "long",         "mutable",
    "namespace",   "new",       "noexcept",   "not",       "not_eq",   "nullptr",      "operator",
    "or",          "or_eq",     "private",    "protected", "public",   "register",     "reinterpret_cast",
    "requires",    "return",    "short",      "signed",    "sizeof",   "static",       "static_assert",
    "static_cast", "struct",    "switch",     "template",  "this",     "thread_local", "throw",
    "true",        "try",       "typedef",    "typeid",    "typename", "union",        "unsigned",
    "using",       "virtual",   "void",       "volatile",  "wchar_t",  "while",        "xor",
    "xor_eq",      "final",     "override",   "import",    "module"};

// Namespaces a generated service's code already lives beside.
constexpr std::string_view taken[]{"once", "std",  "boost",      "nlohmann", "testing", "spdlog",
                                   "fmt",  "pqxx", "prometheus", "posix",    "detail",  "main"};

bool at_boundary_before(std::string_view text, std::size_t at, bool (*continues)(char)) {
  return at == 0 || !continues(text[at - 1]);
}

bool at_boundary_after(std::string_view text, std::size_t end, bool (*continues)(char)) {
  return end >= text.size() || !continues(text[end]);
}

bool lower_or_digit(char c) {
  return is_lower(c) || is_digit(c);
}
bool letter_or_digit(char c) {
  return is_lower(c) || is_upper(c) || is_digit(c);
}
bool nothing(char) {
  return false;
}

// One spelling's replacement, with the characters that would make a match part of a longer word.
struct replacement {
  std::string_view from;
  std::string_view to;
  bool (*continues_before)(char);
  bool (*continues_after)(char);
};

}  // namespace

spellings spell(std::string_view name) {
  spellings spelled{.lower = std::string{name}, .camel = {}, .upper = {}};
  bool start_of_word = true;
  for (char c : name) {
    spelled.upper += is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
    if (c == '_') {
      start_of_word = true;
      continue;
    }
    spelled.camel += start_of_word && is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c;
    start_of_word = false;
  }
  return spelled;
}

std::optional<std::string> refuse_name(std::string_view name) {
  std::string const quoted = "'" + std::string{name} + "'";
  if (name.empty()) return "the name is empty";
  if (name.size() > longest_name) return quoted + " is longer than 40 characters";
  if (!is_lower(name.front()) ||
      !std::all_of(name.begin(), name.end(), [](char c) { return is_lower(c) || is_digit(c) || c == '_'; })) {
    return quoted + " is not a lowercase C++ identifier (a-z first, then a-z, 0-9 or _)";
  }
  if (name.back() == '_' || name.find("__") != std::string_view::npos) {
    return quoted + " has a trailing or doubled underscore (reserved or unreadable in target names)";
  }
  if (std::ranges::find(keywords, name) != std::end(keywords)) return quoted + " is a C++ keyword";
  if (std::ranges::find(taken, name) != std::end(taken)) {
    return quoted + " is a namespace the framework or a library it uses already has";
  }
  return std::nullopt;
}

std::string rename(std::string_view text, spellings const& from, spellings const& to) {
  // Longest spelling first, so that a shorter one never matches inside it.
  std::array<replacement, 3> replacements{
      replacement{from.lower, to.lower, lower_or_digit, lower_or_digit},
      // A camel spelling may follow any word (TheClaimsAmount); it ends where a lowercase letter does not follow.
      replacement{from.camel, to.camel, nothing, lower_or_digit},
      replacement{from.upper, to.upper, letter_or_digit, letter_or_digit}};
  std::string renamed;
  renamed.reserve(text.size());
  std::size_t at = 0;
  while (at < text.size()) {
    bool replaced = false;
    for (auto const& candidate : replacements) {
      if (candidate.from.empty() || text.substr(at, candidate.from.size()) != candidate.from) continue;
      if (!at_boundary_before(text, at, candidate.continues_before)) continue;
      if (!at_boundary_after(text, at + candidate.from.size(), candidate.continues_after)) continue;
      renamed += candidate.to;
      at += candidate.from.size();
      replaced = true;
      break;
    }
    if (!replaced) renamed += text[at++];
  }
  return renamed;
}

std::set<std::string, std::less<>> identifiers(std::string_view text) {
  std::set<std::string, std::less<>> found;
  std::size_t at = 0;
  while (at < text.size()) {
    if (!is_identifier_char(text[at])) {
      ++at;
      continue;
    }
    std::size_t const start = at;
    while (at < text.size() && is_identifier_char(text[at])) ++at;
    found.emplace(text.substr(start, at - start));
  }
  return found;
}

}  // namespace once::new_service
