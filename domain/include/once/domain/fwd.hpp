/// \file
/// The domain's vocabulary by name only: the concepts an aggregate and its
/// commands satisfy, and declarations of the types that ports and routes
/// mention. A header that only passes these along includes this one, not the
/// definitions (which bring Boost.Hana and nlohmann/json).
#pragma once

#include <concepts>
#include <string_view>

namespace once::domain {

/// Commands and events carry a stable name: `static constexpr std::string_view type_name = "payments.open_account";`
template <class T>
concept named_type = requires {
  { T::type_name } -> std::convertible_to<std::string_view>;
};

/// What an aggregate definition provides (see aggregate.hpp): its state, its
/// event variant, its name and its command table. Optional: `topic`.
template <class A>
concept aggregate = requires {
  typename A::state;
  typename A::event;
  { A::type_name } -> std::convertible_to<std::string_view>;
  A::commands;
};

struct envelope;
struct intent_key;
template <class Command>
class intent_id;
template <class Result>
class outcome;
struct rejection;
struct decision_context;

}  // namespace once::domain
