/// \file
/// Internals shared by the JSON encoder and decoder: which C++ types have a
/// JSON form, and the field names of a reflected struct in canonical order.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/at.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>
#include <boost/hana/unpack.hpp>

namespace once::domain {
template <class T>
class entities;
}  // namespace once::domain

namespace once::domain::detail {

template <class T>
inline constexpr bool always_false = false;

/// Entities kept beside the root (once/domain/entities.hpp): never part of the root's JSON.
template <class T>
inline constexpr bool is_entities = false;
template <class T>
inline constexpr bool is_entities<entities<T>> = true;

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_string_map = false;
template <class T, class C, class A>
inline constexpr bool is_string_map<std::map<std::string, T, C, A>> = true;

template <class T>
inline constexpr bool is_reflected = boost::hana::Struct<T>::value;

template <class T>
inline constexpr bool is_json_integer =
    std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> && !std::is_same_v<T, char8_t> &&
    !std::is_same_v<T, char16_t> && !std::is_same_v<T, char32_t> && !std::is_same_v<T, wchar_t>;

/// The member names of a reflected struct, in declaration order.
template <class T>
constexpr auto field_names() {
  return boost::hana::unpack(boost::hana::accessors<T>(), [](auto... fields) {
    return std::array<std::string_view, sizeof...(fields)>{
        std::string_view{std::remove_cvref_t<decltype(boost::hana::first(fields))>::c_str()}...};
  });
}

/// Declaration indices sorted by member name (byte order, as RFC 8785 and a
/// std::map<std::string> both sort): canonical JSON writes members this way.
template <class T>
constexpr auto sorted_field_order() {
  constexpr auto names = field_names<T>();
  std::array<std::size_t, names.size()> order{};
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  return order;
}

template <class T>
inline constexpr auto sorted_field_order_v = sorted_field_order<T>();

}  // namespace once::domain::detail
