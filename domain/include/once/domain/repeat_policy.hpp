/// \file
/// What a repeat of the same intent means, declared per (aggregate, command
/// type) in the aggregate's command table. See docs/semantics.md for the table.
#pragma once

#include <string_view>
#include <type_traits>

namespace once::domain {

enum class repeat_policy {
  return_prior,     // replay the stored result, flagged replayed
  no_op,            // acknowledge with the aggregate's current representation
  reject_conflict,  // refuse with duplicate_intent, naming the first attempt
};

template <repeat_policy Policy>
using repeat_policy_constant = std::integral_constant<repeat_policy, Policy>;

inline constexpr repeat_policy_constant<repeat_policy::return_prior> return_prior{};
inline constexpr repeat_policy_constant<repeat_policy::no_op> no_op{};
inline constexpr repeat_policy_constant<repeat_policy::reject_conflict> reject_conflict{};

constexpr std::string_view to_string(repeat_policy policy) noexcept {
  switch (policy) {
    case repeat_policy::return_prior:
      return "return_prior";
    case repeat_policy::no_op:
      return "no_op";
    case repeat_policy::reject_conflict:
      return "reject_conflict";
  }
  return "unknown";
}

}  // namespace once::domain
