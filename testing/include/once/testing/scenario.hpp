/// \file
/// Given/When/Then for aggregates, with no store and no database:
///
///   once::testing::scenario<account>()
///       .given({account_opened{"A-1", "EUR", 10000}})
///       .when(authorize_payment{"A-1", {2500, "EUR"}, "books"})
///       .then({payment_authorized{"A-1.p1", "A-1", {2500, "EUR"}, "books"}})
///       .then_result(expected_view);
///
///   scenario<account>().when(authorize_payment{...}).then_rejected("account_not_found");
///
/// Values are compared by type name and canonical JSON, so types need no
/// operator==, and a mismatch prints both sides readably.
#pragma once

#include <initializer_list>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <once/domain/aggregate.hpp>
#include <once/domain/canonical_json.hpp>
#include <once/testing/describe.hpp>

namespace once::testing {

template <domain::aggregate A, class Command>
class decided {
 public:
  using decision_type =
      decltype(A::decide(std::declval<std::optional<typename A::state> const&>(), std::declval<Command const&>(),
                         std::declval<domain::decision_context const&>()));
  using result_type = domain::result_of<A, Command>;

  decided(std::optional<typename A::state> before, decision_type decision, Command const& command)
      : state_(std::move(before)), decision_(std::move(decision)) {
    if (!decision_.is_rejected()) {
      for (auto const& event : decision_.events()) domain::evolve<A>(state_, event);
      // Computed as the dispatcher does: the decision's own, or the table's from the state after the events.
      result_ = domain::result_after<A>(decision_, state_, command);
    }
  }

  /// The events the command produced, in order; `{}` for none.
  decided const& then(std::initializer_list<typename A::event> expected,
                      std::source_location where = std::source_location::current()) const {
    if (decision_.is_rejected()) {
      fail(where, "expected events " + describe_events(std::vector(expected)) +
                      " but the command was rejected: " + decision_.refusal().code);
      return *this;
    }
    auto const wanted = describe_events(std::vector(expected));
    auto const got = describe_events(decision_.events());
    if (wanted != got) fail(where, "events differ\n  expected: " + wanted + "\n  actual:   " + got);
    return *this;
  }

  decided const& then_result(result_type const& expected,
                             std::source_location where = std::source_location::current()) const {
    if (decision_.is_rejected()) {
      fail(where, "expected a result but the command was rejected: " + decision_.refusal().code);
      return *this;
    }
    if (!result_.has_value()) {
      fail(where, "expected a result but the command emitted no event on an aggregate that does not exist");
      return *this;
    }
    auto const wanted = domain::canonical_json(expected);
    auto const got = domain::canonical_json(*result_);
    if (wanted != got) fail(where, "results differ\n  expected: " + wanted + "\n  actual:   " + got);
    return *this;
  }

  decided const& then_rejected(std::string_view code,
                               std::source_location where = std::source_location::current()) const {
    if (!decision_.is_rejected()) {
      fail(where, "expected rejection '" + std::string{code} + "' but the command produced " +
                      describe_events(decision_.events()));
    } else if (decision_.refusal().code != code) {
      fail(where, "expected rejection '" + std::string{code} + "' but got '" + decision_.refusal().code + "'");
    }
    return *this;
  }

  /// The state after applying the events (unchanged after a rejection).
  decided const& then_state(typename A::state const& expected,
                            std::source_location where = std::source_location::current()) const {
    auto const wanted = domain::canonical_json(expected);
    auto const got = state_.has_value() ? domain::canonical_json(*state_) : std::string{"(no state)"};
    if (wanted != got) fail(where, "states differ\n  expected: " + wanted + "\n  actual:   " + got);
    return *this;
  }

  [[nodiscard]] decision_type const& decision() const noexcept { return decision_; }
  [[nodiscard]] std::optional<typename A::state> const& state() const noexcept { return state_; }

 private:
  static void fail(std::source_location const& where, std::string const& message) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line())) << Command::type_name << ": " << message;
  }

  std::optional<typename A::state> state_;
  decision_type decision_;
  std::optional<result_type> result_;
};

template <domain::aggregate A>
class scenario {
 public:
  /// Past events, applied in order to build the state.
  scenario& given(std::initializer_list<typename A::event> history) {
    for (auto const& event : history) domain::evolve<A>(state_, event);
    return *this;
  }
  scenario& given_state(typename A::state state) {
    state_ = std::move(state);
    return *this;
  }
  scenario& at(std::chrono::system_clock::time_point now) {
    context_.now = now;
    return *this;
  }

  template <class Command>
  requires domain::handles<A, Command>
  [[nodiscard]] decided<A, Command> when(Command const& command) const {
    return decided<A, Command>{state_, domain::decide_command<A>(state_, command, context_), command};
  }

 private:
  std::optional<typename A::state> state_;
  domain::decision_context context_{};
};

}  // namespace once::testing
