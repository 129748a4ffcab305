/// \file
/// Infrastructure failures as values. The code tells the caller how to retry,
/// in Abseil's vocabulary; none of them is an outcome, and none leaves an
/// intent half-recorded.
#pragma once

#include <string>
#include <string_view>

#include <once/domain/expected.hpp>

namespace once::application {

enum class error_code {
  invalid_argument,     // the call can never succeed as made (no intent key): fix the request
  unavailable,          // the store cannot be reached or is busy: retry the call
  aborted,              // a conflicting transaction won (version, serialization, deadlock): retry the transaction
  outcome_unknown,      // the commit may or may not have happened: retry with the same intent, never a new one
  failed_precondition,  // the system is not in a state to do this (schema too new): do not retry until it changes
  internal,             // a bug or corrupt stored data
};

constexpr std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_argument:
      return "invalid_argument";
    case error_code::unavailable:
      return "unavailable";
    case error_code::aborted:
      return "aborted";
    case error_code::outcome_unknown:
      return "outcome_unknown";
    case error_code::failed_precondition:
      return "failed_precondition";
    case error_code::internal:
      return "internal";
  }
  return "unknown";
}

struct error {
  error_code code = error_code::internal;
  std::string message;
  /// The store's own code for the failure (PostgreSQL's SQLSTATE, "22P05"),
  /// when it gave one: for logs and operators, never for a client's answer.
  std::string store_code;
};

template <class T>
using result = domain::expected<T, error>;

[[nodiscard]] inline domain::unexpected<error> fail(error_code code, std::string message, std::string store_code = {}) {
  return domain::unexpected<error>{error{code, std::move(message), std::move(store_code)}};
}

}  // namespace once::application
