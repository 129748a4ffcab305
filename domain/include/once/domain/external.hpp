/// \file
/// Commands whose effect lies in a system outside our database (a legacy
/// core, a payment provider). Such a command type declares the answer it
/// expects from that system:
///
///   struct create_transfer {
///     static constexpr std::string_view type_name = "facade.create_transfer";
///     using external_answer = booking;  // what the other system answers
///     ...
///   };
///
/// and its aggregate decides twice. decide(current, command, context) as
/// usual, before the call: its events record that the call is under way
/// (context.external_reference is the reference the call will carry), its
/// result is what a repeat is answered while the outcome is not known. Then,
/// once the outcome is known, conclude(current, command, outcome, context):
/// the events and result of what happened. Both are pure; the call itself is
/// the application's (once/application/external_call.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <once/domain/decision.hpp>

namespace once::domain {

template <class Command>
concept has_external_step = requires {
  typename Command::external_answer;
};

/// What became of an external call, as the aggregate concludes from it.
template <class Answer>
struct external_outcome {
  enum class kind {
    answered,    // the other system did it: `answers` holds its one answer
    refused,     // it refused without doing anything: `refusal` says why
    unknown,     // nobody can tell yet (timeout, lost connection, 5xx); `reason` says what was seen
    duplicated,  // it holds more than one record of our reference: `answers` holds them all
  };
  kind what = kind::unknown;
  std::vector<Answer> answers;
  rejection refusal;
  std::string reason;

  [[nodiscard]] static external_outcome answered(Answer answer) {
    external_outcome outcome{kind::answered, {}, {}, {}};
    outcome.answers.push_back(std::move(answer));
    return outcome;
  }
  [[nodiscard]] static external_outcome refused(rejection why) { return {kind::refused, {}, std::move(why), {}}; }
  [[nodiscard]] static external_outcome unknown(std::string reason) {
    return {kind::unknown, {}, {}, std::move(reason)};
  }
  [[nodiscard]] static external_outcome duplicated(std::vector<Answer> answers) {
    return {kind::duplicated, std::move(answers), {}, {}};
  }
};

}  // namespace once::domain
