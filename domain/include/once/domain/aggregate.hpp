/// \file
/// What an aggregate definition provides, and the pure helpers that work on it.
///
///   struct account : once::domain::aggregate_types<account_state, account_event> {
///     static constexpr std::string_view type_name = "payments.account";
///     static constexpr auto const& commands = account_commands;
///     static decision<account_view> decide(current const&, open_account const&, context const&);
///     static void apply(state&, account_opened const&);
///   };
///
/// aggregate_types names the state (a reflected struct) and the event variant
/// (reflected, named structs) and gives every decide and apply its vocabulary:
/// decision<Result>, current (the state, absent before the first event) and
/// context. A command without a decide overload, or an event without an
/// apply, is a compile error with a sentence, naming it in the instantiation.
///
/// State absent (std::nullopt) means the aggregate does not exist yet; the
/// first applied event starts from a default-constructed state.
///
/// Optional: `static constexpr std::string_view topic = "claims.events";`
/// names where the aggregate's events go: the topic of its outbox rows, which
/// the outbox relay publishes to. Without it, the aggregate's type_name.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <once/domain/command_table.hpp>
#include <once/domain/decision.hpp>
#include <once/domain/fwd.hpp>

namespace once::domain {

/// Where the aggregate's events are published: A::topic, or its type_name.
template <aggregate A>
constexpr std::string_view topic_of() noexcept {
  if constexpr (requires { A::topic; }) {
    return A::topic;
  } else {
    return A::type_name;
  }
}

/// The names every aggregate's decide and apply are written with, declared once.
template <class State, class Event>
struct aggregate_types {
  using state = State;
  using event = Event;
  /// decision<> (the default): events or a rejection; the result comes from
  /// the command table's .result(state, command) after the events.
  template <class Result = from_state>
  using decision = once::domain::decision<Event, Result>;
  using current = std::optional<State>;  // absent: the aggregate does not exist yet
  using context = decision_context;
};

template <class A, class Command>
concept handles = aggregate<A> &&
    requires(std::optional<typename A::state> const& state, Command const& command, decision_context const& context) {
  {A::decide(state, command, context)};
};

template <class A, class Event>
concept applies = requires(typename A::state& state, Event const& event) {
  A::apply(state, event);
};

namespace detail {

template <class A, class Command, bool = handles<A, Command>>
struct decided_result {
  using type = void;  // no decide: checked_result has said so
};
template <class A, class Command>
struct decided_result<A, Command, true> {
  using type = typename decltype(A::decide(std::declval<std::optional<typename A::state> const&>(),
                                           std::declval<Command const&>(),
                                           std::declval<decision_context const&>()))::result_type;
};

/// A decision<> takes its result type from the table's .result(...).
template <class A, class Command, class Decided>
struct table_result {
  using type = Decided;
};
template <class A, class Command>
struct table_result<A, Command, from_state> {
  using declaration = std::remove_cvref_t<decltype(declaration_of<Command>(A::commands))>;
  static_assert(declaration::has_current,
                "once: decide returns decision<> (its result comes from the state after its events) but the command "
                "table declares no .result(state, command) for this command (named in the instantiation below)");
  using type = decltype(declaration_of<Command>(A::commands)
                            .result_of(std::declval<typename A::state const&>(), std::declval<Command const&>()));
};

template <class A, class Command>
struct checked_result {
  static_assert(handles<A, Command>,
                "once: the aggregate has no decide(current const&, Command const&, context const&) for this command: "
                "declare one (the aggregate and the command are named in the instantiation below)");
  using type = typename table_result<A, Command, typename decided_result<A, Command>::type>::type;
};

}  // namespace detail

/// The result type of handling Command: the Result of the decision<Event, Result> that decide returns.
template <class A, class Command>
using result_of = typename detail::checked_result<A, Command>::type;

/// The aggregate's decision on a command: the command table's state
/// precondition first (only_if_exists / only_if_new), then decide. The
/// dispatcher and the test fixture both decide through here.
template <aggregate A, class Command>
auto decide_command(std::optional<typename A::state> const& state, Command const& command,
                    decision_context const& context) -> decltype(A::decide(state, command, context)) {
  if (auto refused = declaration_of<Command>(A::commands).refusal_for(state.has_value(), command)) {
    return std::move(*refused);
  }
  return A::decide(state, command, context);
}

/// The result of an accepted decision on Command: its own, or, for a
/// decision<>, the table's .result(...) of the state after its events (none
/// when there is no state: a decision<> that emits nothing on an aggregate
/// that does not exist has nothing to answer from).
template <aggregate A, class Command, class Decision>
std::optional<result_of<A, Command>> result_after(Decision& decision, std::optional<typename A::state> const& after,
                                                  Command const& command) {
  if constexpr (std::is_same_v<typename Decision::result_type, from_state>) {
    if (!after.has_value()) return std::nullopt;
    return declaration_of<Command>(A::commands).result_of(*after, command);
  } else {
    return std::move(decision.result());
  }
}

/// Applies one event to the state, creating the state on the first event.
template <aggregate A>
void evolve(std::optional<typename A::state>& state, typename A::event const& event) {
  if (!state.has_value()) state.emplace();
  std::visit(
      [&](auto const& e) {
        using event_type = std::remove_cvref_t<decltype(e)>;
        static_assert(applies<A, event_type>,
                      "once: the aggregate has no apply(state&, Event const&) for this event: declare one (the event "
                      "is named in the instantiation below)");
        if constexpr (applies<A, event_type>) A::apply(*state, e);
      },
      event);
}

template <class Event>
std::string_view event_type_name(Event const& event) {
  return std::visit([](auto const& e) -> std::string_view { return std::remove_cvref_t<decltype(e)>::type_name; },
                    event);
}

}  // namespace once::domain
