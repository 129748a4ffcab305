// The claim aggregate's vocabulary: amounts, commands, events, state and the
// views the service answers with. Event type names are the contract's names
// on the claims.events topic (ClaimSubmitted, DisbursementApproved, ClaimScreened).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/hana/define_struct.hpp>

namespace claims::domain {

struct money {
  BOOST_HANA_DEFINE_STRUCT(money, (std::int64_t, value),  // minor units: cents for EUR
                           (std::string, currency));
  friend bool operator==(money const&, money const&) = default;
};

// An ISO 4217 code: three letters A-Z.
[[nodiscard]] constexpr bool is_currency_code(std::string_view code) noexcept {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}
// Claimant, policy, submission and payee ids: 1 to 64 characters of A-Z a-z 0-9 _ -.
[[nodiscard]] bool is_valid_id(std::string_view id) noexcept;
// Claims at or above this many minor units are flagged by screening.
inline constexpr std::int64_t flagged_from = 1'000'000;

// --- commands ---

// Keyed by its submission id within its claimant: a resubmission is the same intent.
struct submit_claim {
  static constexpr std::string_view type_name = "claims.submit_claim";
  BOOST_HANA_DEFINE_STRUCT(submit_claim, (std::string, submission_id), (std::string, claimant_id),
                           (std::string, policy_id), (money, amount), (std::string, description));
};
struct approve_disbursement {
  static constexpr std::string_view type_name = "claims.approve_disbursement";
  BOOST_HANA_DEFINE_STRUCT(approve_disbursement, (std::string, claim_id), (money, amount), (std::string, payee));
};
// Dispatched by fraud-screening for each ClaimSubmitted; one per claim.
struct record_screening {
  static constexpr std::string_view type_name = "claims.record_screening";
  BOOST_HANA_DEFINE_STRUCT(record_screening, (std::string, claim_id), (std::string, result));
};

// --- events ---

struct claim_submitted {
  static constexpr std::string_view type_name = "ClaimSubmitted";
  BOOST_HANA_DEFINE_STRUCT(claim_submitted, (std::string, claim_id), (std::string, claimant_id),
                           (std::string, policy_id), (money, amount));
};
struct disbursement_approved {
  static constexpr std::string_view type_name = "DisbursementApproved";
  BOOST_HANA_DEFINE_STRUCT(disbursement_approved, (std::string, disbursement_id), (std::string, claim_id),
                           (money, amount), (std::string, payee));
};
struct claim_screened {
  static constexpr std::string_view type_name = "ClaimScreened";
  BOOST_HANA_DEFINE_STRUCT(claim_screened, (std::string, claim_id), (std::string, result));
};

// --- state and views ---

struct disbursement_record {
  BOOST_HANA_DEFINE_STRUCT(disbursement_record, (money, amount), (std::string, payee));
};
struct claim_state {
  BOOST_HANA_DEFINE_STRUCT(claim_state, (std::string, claim_id), (std::string, claimant_id), (std::string, policy_id),
                           (money, amount), (std::optional<std::string>, screening), (std::int64_t, disbursed),
                           (std::int64_t, disbursements),
                           (std::map<std::string, disbursement_record>, disbursement_records));  // by disbursement id
};

struct claim_view {
  BOOST_HANA_DEFINE_STRUCT(claim_view, (std::string, claim_id), (std::string, claimant_id), (std::string, policy_id),
                           (money, amount), (std::string, status), (std::optional<std::string>, screening),
                           (money, disbursed_total));
  friend bool operator==(claim_view const&, claim_view const&) = default;
};
struct disbursement_view {
  BOOST_HANA_DEFINE_STRUCT(disbursement_view, (std::string, disbursement_id), (std::string, claim_id), (money, amount),
                           (std::string, payee));
  friend bool operator==(disbursement_view const&, disbursement_view const&) = default;
};

// The service's claim id for a claimant's submission: the same submission
// always names the same claim, another claimant's the other one.
[[nodiscard]] std::string claim_id_for(std::string_view claimant_id, std::string_view submission_id);
[[nodiscard]] claim_view view_of(claim_state const& claim);
[[nodiscard]] disbursement_view view_of_disbursement(claim_state const& claim, std::int64_t number);

}  // namespace claims::domain
