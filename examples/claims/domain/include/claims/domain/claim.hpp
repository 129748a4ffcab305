// The claim aggregate: submitted once per claimant's submission id, screened
// once, disbursed up to its amount. Its events go to claims.events.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include <once/domain/aggregate.hpp>

#include <claims/domain/claim_types.hpp>

namespace claims::domain {

[[nodiscard]] once::domain::rejection no_such_claim(std::string const& claim_id);

// The scopes are the contract's own words, used as written.
inline constexpr auto claim_commands = once::domain::command_table(
    once::domain::on<submit_claim>()
        .verbatim_scope([](submit_claim const& c) { return "claimant/" + c.claimant_id + "/claim-submission"; })
        .key(&submit_claim::submission_id)
        .target([](submit_claim const& c) { return claim_id_for(c.claimant_id, c.submission_id); })
        .only_if_new([](submit_claim const&) {
          return once::domain::reject("claim_exists", "this submission names an existing claim");
        })
        .result([](claim_state const& claim, submit_claim const&) { return view_of(claim); })
        .repeat(once::domain::return_prior),
    once::domain::on<approve_disbursement>()
        .verbatim_scope([](approve_disbursement const& c) { return "claim/" + c.claim_id + "/disbursement"; })
        .key(once::domain::client_key)
        .target(&approve_disbursement::claim_id)
        .only_if_exists([](approve_disbursement const& c) { return no_such_claim(c.claim_id); })
        .result([](claim_state const& claim, approve_disbursement const&) {
          return view_of_disbursement(claim, claim.disbursements);
        })
        .repeat(once::domain::return_prior),
    once::domain::on<record_screening>()
        .key(&record_screening::claim_id)
        .target(&record_screening::claim_id)
        .only_if_exists([](record_screening const& c) { return no_such_claim(c.claim_id); })
        .result([](claim_state const& claim, record_screening const&) { return view_of(claim); })
        .repeat(once::domain::return_prior));

using claim_event = std::variant<claim_submitted, disbursement_approved, claim_screened>;

struct claim : once::domain::aggregate_types<claim_state, claim_event> {
  static constexpr std::string_view type_name = "claims.claim";
  static constexpr std::string_view topic = "claims.events";
  static constexpr auto const& commands = claim_commands;

  static decision<> decide(current const&, submit_claim const&, context const&);
  static decision<> decide(current const&, approve_disbursement const&, context const&);
  static decision<> decide(current const&, record_screening const&, context const&);

  static void apply(claim_state&, claim_submitted const&);
  static void apply(claim_state&, disbursement_approved const&);
  static void apply(claim_state&, claim_screened const&);
};

}  // namespace claims::domain
