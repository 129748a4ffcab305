/// \file
/// What handling a command produced, as a value. Infrastructure failures are
/// not outcomes: they come back as errors and leave the intent new.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <once/domain/decision.hpp>
#include <once/domain/intent_id.hpp>

namespace once::domain {

enum class outcome_kind {
  applied,             // first time: state changed, events and result recorded
  rejected,            // first time: a domain refusal, recorded and replayable
  replayed,            // repeat under return_prior (or of a rejection): the stored answer
  no_op,               // repeat under no_op: the aggregate's current representation
  duplicate_rejected,  // repeat under reject_conflict: refused, naming the first attempt
  intent_conflict,     // the intent id was used before with a different fingerprint
  in_flight_timeout,   // the first attempt was still running past the wait bound
};

constexpr std::string_view to_string(outcome_kind kind) noexcept {
  switch (kind) {
    case outcome_kind::applied:
      return "applied";
    case outcome_kind::rejected:
      return "rejected";
    case outcome_kind::replayed:
      return "replayed";
    case outcome_kind::no_op:
      return "no_op";
    case outcome_kind::duplicate_rejected:
      return "duplicate_rejected";
    case outcome_kind::intent_conflict:
      return "intent_conflict";
    case outcome_kind::in_flight_timeout:
      return "in_flight_timeout";
  }
  return "unknown";
}

/// The attempt that first used an intent id, as recorded in the command log.
struct first_attempt {
  std::string command_type;
  std::string aggregate_id;
  std::int64_t aggregate_version = 0;
  std::chrono::system_clock::time_point recorded_at{};
};

template <class Result>
class [[nodiscard]] outcome {
 public:
  static outcome applied(intent_key intent, Result result, std::int64_t version) {
    outcome o{outcome_kind::applied, std::move(intent)};
    o.result_ = std::move(result);
    o.aggregate_version_ = version;
    return o;
  }
  static outcome rejected(intent_key intent, rejection refusal) {
    outcome o{outcome_kind::rejected, std::move(intent)};
    o.rejection_ = std::move(refusal);
    return o;
  }
  static outcome replayed(intent_key intent, Result result, std::int64_t version) {
    outcome o{outcome_kind::replayed, std::move(intent)};
    o.result_ = std::move(result);
    o.aggregate_version_ = version;
    return o;
  }
  static outcome replayed_rejection(intent_key intent, rejection refusal) {
    outcome o{outcome_kind::replayed, std::move(intent)};
    o.rejection_ = std::move(refusal);
    return o;
  }
  static outcome no_op(intent_key intent, Result current, std::int64_t version) {
    outcome o{outcome_kind::no_op, std::move(intent)};
    o.result_ = std::move(current);
    o.aggregate_version_ = version;
    return o;
  }
  static outcome duplicate_rejected(intent_key intent, first_attempt first) {
    outcome o{outcome_kind::duplicate_rejected, std::move(intent)};
    o.first_ = std::move(first);
    return o;
  }
  static outcome intent_conflict(intent_key intent, first_attempt first) {
    outcome o{outcome_kind::intent_conflict, std::move(intent)};
    o.first_ = std::move(first);
    return o;
  }
  static outcome in_flight_timeout(intent_key intent) {
    return outcome{outcome_kind::in_flight_timeout, std::move(intent)};
  }

  [[nodiscard]] outcome_kind kind() const noexcept { return kind_; }
  [[nodiscard]] intent_key const& intent() const noexcept { return intent_; }
  /// True for a stored answer given again (a replayed result or rejection).
  [[nodiscard]] bool is_replay() const noexcept { return kind_ == outcome_kind::replayed; }
  /// A result is present after applied, replayed (of an applied first attempt) and no_op.
  [[nodiscard]] bool has_result() const noexcept { return result_.has_value(); }
  /// Throws std::logic_error when there is none (check has_result() first): never undefined behaviour.
  [[nodiscard]] Result const& result() const {
    if (!result_.has_value()) missing("result");
    return *result_;
  }
  /// A rejection is present after rejected and replayed (of a rejected first attempt).
  [[nodiscard]] bool has_rejection() const noexcept { return rejection_.has_value(); }
  /// Throws std::logic_error when there is none (check has_rejection() first).
  [[nodiscard]] rejection const& refusal() const {
    if (!rejection_.has_value()) missing("refusal");
    return *rejection_;
  }
  /// Present after duplicate_rejected and intent_conflict.
  [[nodiscard]] std::optional<first_attempt> const& first() const noexcept { return first_; }
  /// The aggregate version the result describes (applied, replayed, no_op).
  [[nodiscard]] std::int64_t aggregate_version() const noexcept { return aggregate_version_; }

 private:
  outcome(outcome_kind kind, intent_key intent) : kind_(kind), intent_(std::move(intent)) {}

  [[noreturn]] void missing(std::string_view what) const {
    throw std::logic_error("once: " + std::string{what} + "() of an outcome that has none (" +
                           std::string{to_string(kind_)} + ")");
  }

  outcome_kind kind_;
  intent_key intent_;
  std::optional<Result> result_;
  std::optional<rejection> rejection_;
  std::optional<first_attempt> first_;
  std::int64_t aggregate_version_ = 0;
};

}  // namespace once::domain
