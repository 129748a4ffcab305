/// \file
/// Copies of a reflected value with one business field changed: how the
/// repeat-semantics check builds "the same key with a different payload"
/// without being told which field to change.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>

#include <boost/hana/accessors.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/second.hpp>

#include <once/domain/detail/reflection.hpp>

namespace once::testing {

/// Calls visit(copy) for each copy of `value` with exactly one scalar changed
/// (strings, integers and booleans, also inside nested structs, optionals,
/// list elements and map values), and each list shortened by one.
template <class T, class Visit>
void for_each_mutation(T const& value, Visit&& visit) {
  using domain::detail::is_json_integer;
  if constexpr (std::is_same_v<T, std::string>) {
    visit(value + "~changed");
  } else if constexpr (std::is_same_v<T, bool>) {
    visit(!value);
  } else if constexpr (is_json_integer<T>) {
    visit(value == std::numeric_limits<T>::max() ? static_cast<T>(value - 1) : static_cast<T>(value + 1));
  } else if constexpr (domain::detail::is_optional<T>) {
    if (value.has_value()) {
      for_each_mutation(*value, [&](auto const& changed) { visit(T{changed}); });
      visit(T{});
    } else {
      visit(T{typename T::value_type{}});
    }
  } else if constexpr (domain::detail::is_vector<T>) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      for_each_mutation(value[i], [&](auto const& changed) {
        T copy = value;
        copy[i] = changed;
        visit(copy);
      });
    }
    if (!value.empty()) visit(T(value.begin(), value.end() - 1));
  } else if constexpr (domain::detail::is_string_map<T>) {
    for (auto const& [name, element] : value) {
      for_each_mutation(element, [&](auto const& changed) {
        T copy = value;
        copy[name] = changed;
        visit(copy);
      });
    }
  } else if constexpr (domain::detail::is_reflected<T>) {
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto const& field) {
      auto const& member = boost::hana::second(field)(value);
      for_each_mutation(member, [&](auto const& changed) {
        T copy = value;
        boost::hana::second(field)(copy) = changed;
        visit(copy);
      });
    });
  }
}

}  // namespace once::testing
