/// \file
/// Decoding reflected structs from JSON, with an error that names the field
/// ("amount.value: expected an integer"). Used to validate request bodies and
/// to read stored results back. Members missing from the JSON are an error
/// unless they are std::optional or entities<T> (stored beside the root); a member given twice is an error; unknown
/// members are ignored (stored forms and events may gain members) unless the
/// caller refuses them, as the HTTP adapter does for request bodies.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <once/domain/detail/json_reader.hpp>
#include <once/domain/detail/reflection.hpp>
#include <once/domain/expected.hpp>
#include <once/domain/text.hpp>

namespace once::domain {

struct decode_error {
  std::string field;    // dotted path ("amount.value", "lines[2].sku"); empty for the whole document
  std::string problem;  // "is required", "expected an integer", ...

  [[nodiscard]] std::string message() const { return field.empty() ? problem : field + ": " + problem; }
};

namespace detail {

inline std::string join_path(std::string const& parent, std::string_view child) {
  return parent.empty() ? std::string{child} : parent + '.' + std::string{child};
}

template <class T>
bool read_json(nlohmann::json const& json, T& out, std::string const& path, decode_error& error);

template <class T>
bool read_json_object(nlohmann::json const& json, T& out, std::string const& path, decode_error& error) {
  if (!json.is_object()) {
    error = {path, "expected an object"};
    return false;
  }
  bool ok = true;
  boost::hana::for_each(boost::hana::accessors<T>(), [&](auto const& field) {
    if (!ok) return;
    std::string_view const name = std::remove_cvref_t<decltype(boost::hana::first(field))>::c_str();
    auto& member = boost::hana::second(field)(out);
    using member_type = std::remove_cvref_t<decltype(member)>;
    auto const found = json.find(name);
    if (found == json.end() || found->is_null()) {
      if constexpr (is_optional<member_type>) {
        member.reset();
      } else if constexpr (is_entities<member_type>) {
        // stored beside the root
      } else {
        error = {join_path(path, name), "is required"};
        ok = false;
      }
      return;
    }
    ok = read_json(*found, member, join_path(path, name), error);
  });
  return ok;
}

template <class T>
bool read_json(nlohmann::json const& json, T& out, std::string const& path, decode_error& error) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!json.is_boolean()) {
      error = {path, "expected a boolean"};
      return false;
    }
    out = json.get<bool>();
  } else if constexpr (is_json_integer<T>) {
    if (json.is_number_unsigned()) {
      auto const value = json.get<std::uint64_t>();
      if (!std::in_range<T>(value)) {
        error = {path, "integer out of range"};
        return false;
      }
      out = static_cast<T>(value);
    } else if (json.is_number_integer()) {
      auto const value = json.get<std::int64_t>();
      if (!std::in_range<T>(value)) {
        error = {path, "integer out of range"};
        return false;
      }
      out = static_cast<T>(value);
    } else {
      error = {path, "expected an integer"};
      return false;
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!json.is_string()) {
      error = {path, "expected a string"};
      return false;
    }
    if (char const* unstorable = unstorable_text_reason(json.get_ref<std::string const&>())) {
      error = {path, unstorable};
      return false;
    }
    out = json.get_ref<std::string const&>();
  } else if constexpr (is_optional<T>) {
    if (json.is_null()) {
      out.reset();
      return true;
    }
    return read_json(json, out.emplace(), path, error);
  } else if constexpr (is_vector<T>) {
    if (!json.is_array()) {
      error = {path, "expected an array"};
      return false;
    }
    out.clear();
    out.reserve(json.size());
    for (std::size_t i = 0; i < json.size(); ++i) {
      if (!read_json(json[i], out.emplace_back(), path + '[' + std::to_string(i) + ']', error)) return false;
    }
  } else if constexpr (is_string_map<T>) {
    if (!json.is_object()) {
      error = {path, "expected an object"};
      return false;
    }
    out.clear();
    for (auto const& [name, element] : json.items()) {
      if (char const* unstorable = unstorable_text_reason(name)) {
        error = {join_path(path, name), unstorable};
        return false;
      }
      if (!read_json(element, out[name], join_path(path, name), error)) return false;
    }
  } else if constexpr (is_entities<T>) {
    // Only a root written before the member became entities<T> holds them (inline, as an object).
    if (!json.is_object()) {
      error = {path, "expected an object"};
      return false;
    }
    for (auto const& [name, element] : json.items()) {
      if (char const* unstorable = unstorable_text_reason(name)) {
        error = {join_path(path, name), unstorable};
        return false;
      }
      if (!read_json(element, out.adopt_inline(name), join_path(path, name), error)) return false;
    }
  } else if constexpr (is_reflected<T>) {
    return read_json_object(json, out, path, error);
  } else {
    static_assert(always_false<T>, "once: this type has no JSON form; reflect it with BOOST_HANA_DEFINE_STRUCT");
  }
  return true;
}

}  // namespace detail

template <class T>
[[nodiscard]] expected<T, decode_error> decode_json_value(nlohmann::json const& json) {
  T value{};
  decode_error error;
  if (!detail::read_json(json, value, std::string{}, error)) return unexpected{std::move(error)};
  return value;
}

/// What decoding does with a member the type does not have.
enum class unknown_members { ignored, refused };

/// Decodes text straight into T from the parser's events (no DOM in between).
template <class T>
[[nodiscard]] expected<T, decode_error> decode_json(std::string_view text,
                                                    unknown_members unknown = unknown_members::ignored) {
  T value{};
  detail::json_reader reader{detail::slot_of(value), unknown == unknown_members::refused};
  if (!nlohmann::json::sax_parse(text, &reader)) return unexpected{decode_error{reader.field, reader.problem}};
  return value;
}

}  // namespace once::domain
