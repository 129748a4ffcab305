#include "screening.hpp"

#include <once/domain/json_decode.hpp>

namespace claims::screening {
namespace {

using once::application::error_code;
using once::kafka::handling;

// What a dispatch's error means for the message: an outage is waited out, anything else counts as a failure.
handling after_error(once::application::error const& failure) {
  switch (failure.code) {
    case error_code::unavailable:
    case error_code::aborted:
    case error_code::outcome_unknown:
    case error_code::failed_precondition:
      return handling::retry(std::string{to_string(failure.code)});
    case error_code::invalid_argument:
      return handling::undecodable("the message names no intent: " + std::string{to_string(failure.code)});
    case error_code::internal:
      break;
  }
  return handling::failed(std::string{to_string(failure.code)});
}

}  // namespace

handling screen(once::application::command_dispatcher<domain::claim>& claims, once::kafka::inbox_message const& message,
                std::string const& group) {
  auto const submitted = once::domain::decode_json<domain::claim_submitted>(message.value);
  if (!submitted) return handling::undecodable("not a ClaimSubmitted: " + submitted.error().field);
  auto const result = submitted->amount.value >= domain::flagged_from ? "flagged" : "clear";
  auto const outcome =
      claims.dispatch(domain::record_screening{submitted->claim_id, result}, message.envelope_for(group));
  if (!outcome) return after_error(outcome.error());
  return handling::handled(outcome->kind() != once::domain::outcome_kind::replayed);
}

}  // namespace claims::screening
