// What an aggregate definition provides, and the pure helpers that work on it.
//
//   struct account {
//     static constexpr std::string_view type_name = "payments.account";
//     using state = account_state;                       // reflected struct
//     using event = std::variant<account_opened, ...>;   // reflected, named structs
//     static constexpr auto const& commands = account_commands;
//     static decision<event, account_view> decide(std::optional<state> const&, open_account const&,
//                                                 decision_context const&);
//     static void apply(state&, account_opened const&);
//   };
//
// State absent (std::nullopt) means the aggregate does not exist yet; the
// first applied event starts from a default-constructed state.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <once/domain/command_table.hpp>
#include <once/domain/decision.hpp>

namespace once::domain {

template <class A>
concept aggregate = requires {
  typename A::state;
  typename A::event;
  { A::type_name } -> std::convertible_to<std::string_view>;
  A::commands;
};

template <class A, class Command>
concept handles = aggregate<A> &&
    requires(std::optional<typename A::state> const& state, Command const& command, decision_context const& context) {
  {A::decide(state, command, context)};
};

// The result type of handling Command: the Result of the decision<Event, Result> that decide returns.
template <class A, class Command>
using result_of =
    typename decltype(A::decide(std::declval<std::optional<typename A::state> const&>(), std::declval<Command const&>(),
                                std::declval<decision_context const&>()))::result_type;

// Applies one event to the state, creating the state on the first event.
template <aggregate A>
void evolve(std::optional<typename A::state>& state, typename A::event const& event) {
  if (!state.has_value()) state.emplace();
  std::visit([&](auto const& e) { A::apply(*state, e); }, event);
}

template <class Event>
std::string_view event_type_name(Event const& event) {
  return std::visit([](auto const& e) -> std::string_view { return std::remove_cvref_t<decltype(e)>::type_name; },
                    event);
}

}  // namespace once::domain
