/// \file
/// What a handler decides: events plus a result, or a domain rejection.
/// Handlers are pure functions (state, command, context) -> decision; they never
/// throw for a business reason and never touch I/O.
///
///   if (amount > headroom) return once::domain::reject("credit_limit_exceeded", "...");
///   return once::domain::accept(view, payment_authorized{...});
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>

namespace once::domain {

/// A domain decision to refuse (insufficient funds, unknown account). It is an
/// outcome like a success: stored with the intent and replayed on a repeat.
struct rejection {
  BOOST_HANA_DEFINE_STRUCT(rejection, (std::string, code),  // stable, machine-readable: "credit_limit_exceeded"
                           (std::string, detail));          // for humans; no personal or payment data
  friend bool operator==(rejection const&, rejection const&) = default;
};

/// What a handler may know besides state and command. Time comes from here,
/// not from a clock call, so handlers stay pure and tests stay deterministic.
struct decision_context {
  std::chrono::system_clock::time_point now{};
  std::string aggregate_id;  // the id of the aggregate the command acts on
  /// For a command with an external step (once/domain/external.hpp): the
  /// reference its call carries, derived from the intent; empty otherwise.
  std::string external_reference;
};

template <class Result, class... Events>
struct accepted {
  Result result;
  std::tuple<Events...> events;
};

template <class Result, class... Events>
[[nodiscard]] accepted<Result, Events...> accept(Result result, Events... events) {
  return {std::move(result), std::tuple<Events...>{std::move(events)...}};
}

/// The result of a decision<Event, from_state>: computed by the command
/// table's .result(state, command) from the state after the events.
struct from_state {
  friend bool operator==(from_state, from_state) = default;
};

/// Accepts with events only; the result comes from the state after them.
template <class... Events>
[[nodiscard]] accepted<from_state, Events...> emit(Events... events) {
  return {from_state{}, std::tuple<Events...>{std::move(events)...}};
}

[[nodiscard]] inline rejection reject(std::string code, std::string detail) {
  return rejection{std::move(code), std::move(detail)};
}

/// A refusal the aggregate records: the command is answered with the
/// rejection (stored and replayed as any), and the events change the state
/// (a transfer the other system refused is `failed`, not left `pending`).
template <class... Events>
struct recorded_rejection {
  rejection refusal;
  std::tuple<Events...> events;
};

template <class... Events>
[[nodiscard]] recorded_rejection<Events...> reject_recording(rejection refusal, Events... events) {
  return {std::move(refusal), std::tuple<Events...>{std::move(events)...}};
}

template <class Event, class Result>
class [[nodiscard]] decision {
 public:
  using event_type = Event;
  using result_type = Result;

  decision(rejection refused) : rejection_(std::move(refused)) {}  // NOLINT(google-explicit-constructor)

  template <class... Events>
  decision(recorded_rejection<Events...> refused)  // NOLINT(google-explicit-constructor)
      : rejection_(std::move(refused.refusal)) {
    events_.reserve(sizeof...(Events));
    std::apply([&](auto&... events) { (events_.emplace_back(std::move(events)), ...); }, refused.events);
  }

  template <class... Events>
  decision(accepted<Result, Events...> accepted_value)  // NOLINT(google-explicit-constructor)
      : result_(std::move(accepted_value.result)) {
    events_.reserve(sizeof...(Events));
    std::apply([&](auto&... events) { (events_.emplace_back(std::move(events)), ...); }, accepted_value.events);
  }

  [[nodiscard]] bool is_rejected() const noexcept { return rejection_.has_value(); }
  /// A rejection's events are those of a recorded_rejection (none for a plain reject).
  [[nodiscard]] rejection const& refusal() const { return *rejection_; }
  [[nodiscard]] Result const& result() const { return *result_; }
  [[nodiscard]] Result& result() { return *result_; }
  [[nodiscard]] std::vector<Event> const& events() const noexcept { return events_; }
  [[nodiscard]] std::vector<Event>& events() noexcept { return events_; }

 private:
  std::optional<rejection> rejection_;
  std::optional<Result> result_;
  std::vector<Event> events_;
};

}  // namespace once::domain
