/// \file
/// Canonical JSON of reflected structs (BOOST_HANA_DEFINE_STRUCT): object
/// members sorted by name, no insignificant whitespace, integers only, absent
/// optionals omitted (so "field": null and a missing field encode the same),
/// entities<T> members omitted (stored beside the root, entry by entry).
/// The same value always yields the same bytes, which is what makes the
/// fingerprint stable; it is also the stored form of results and events.
///
/// Floating-point members do not compile: money is integer minor units, and
/// float formatting is not canonical across libraries.
#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <once/domain/detail/reflection.hpp>

namespace once::domain {

namespace detail {

/// `text` escaped for the inside of a JSON string (no quotes added).
inline void write_json_escaped(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t plain_from = 0;  // characters that need no escape are appended in runs
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto const byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += hex[byte >> 4];
        out += hex[byte & 0x0f];
    }
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
}

inline void write_json_string(std::string& out, std::string_view text) {
  out += '"';
  write_json_escaped(out, text);
  out += '"';
}

template <class T>
void write_json(std::string& out, T const& value);

template <class T>
void write_json_object(std::string& out, T const& value) {
  auto const fields = boost::hana::accessors<T>();
  bool first = true;
  auto write_field = [&](auto const& field) {
    auto const& member = boost::hana::second(field)(value);
    using member_type = std::remove_cvref_t<decltype(member)>;
    if constexpr (is_optional<member_type>) {
      if (!member.has_value()) return;
    }
    if constexpr (is_entities<member_type>) {
      return;  // stored beside the root, one record per entry
    } else {
      if (!first) out += ',';
      first = false;
      write_json_string(out, std::remove_cvref_t<decltype(boost::hana::first(field))>::c_str());
      out += ':';
      write_json(out, member);
    }
  };
  out += '{';
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (write_field(boost::hana::at_c<sorted_field_order_v<T>[I]>(fields)), ...);
  }
  (std::make_index_sequence<sorted_field_order_v<T>.size()>{});
  out += '}';
}

template <class T>
void write_json(std::string& out, T const& value) {
  if constexpr (std::is_same_v<T, bool>) {
    out += value ? "true" : "false";
  } else if constexpr (is_json_integer<T>) {
    char buffer[24];
    auto const end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out.append(buffer, end);
  } else if constexpr (std::is_floating_point_v<T>) {
    static_assert(always_false<T>, "once: floating-point fields are not canonical; use integer minor units");
  } else if constexpr (std::is_same_v<T, std::string>) {
    write_json_string(out, value);
  } else if constexpr (is_optional<T>) {
    if (value.has_value()) {
      write_json(out, *value);
    } else {
      out += "null";
    }
  } else if constexpr (is_vector<T>) {
    out += '[';
    bool first = true;
    for (auto const& element : value) {
      if (!first) out += ',';
      first = false;
      write_json(out, element);
    }
    out += ']';
  } else if constexpr (is_string_map<T>) {
    out += '{';
    bool first = true;
    for (auto const& [name, element] : value) {  // std::map iterates in byte order already
      if (!first) out += ',';
      first = false;
      write_json_string(out, name);
      out += ':';
      write_json(out, element);
    }
    out += '}';
  } else if constexpr (is_entities<T>) {
    static_assert(always_false<T>, "once: entities are stored beside the aggregate's root, never as JSON of their own");
  } else if constexpr (is_reflected<T>) {
    write_json_object(out, value);
  } else {
    static_assert(always_false<T>, "once: this type has no JSON form; reflect it with BOOST_HANA_DEFINE_STRUCT");
  }
}

}  // namespace detail

/// Appends the canonical JSON of `value` to `out`.
template <class T>
void append_canonical_json(std::string& out, T const& value) {
  detail::write_json(out, value);
}

template <class T>
[[nodiscard]] std::string canonical_json(T const& value) {
  std::string out;
  out.reserve(128);
  detail::write_json(out, value);
  return out;
}

}  // namespace once::domain
