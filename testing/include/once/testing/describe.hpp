/// \file
/// How the fixture prints domain values in failure messages: type name and
/// canonical JSON, so two values that differ show where.
#pragma once

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <once/domain/canonical_json.hpp>

namespace once::testing {

template <class Event>
std::string describe_event(Event const& event) {
  return std::visit(
      [](auto const& e) {
        return std::string{std::remove_cvref_t<decltype(e)>::type_name} + ' ' + domain::canonical_json(e);
      },
      event);
}

template <class Event>
std::string describe_events(std::vector<Event> const& events) {
  std::string out = "[";
  for (auto const& event : events) {
    if (out.size() > 1) out += ", ";
    out += describe_event(event);
  }
  return out + ']';
}

}  // namespace once::testing
