// The claim aggregate's decisions, Given/When/Then, and every command's
// repeat policy, with no store at all.
#include <claims/domain/claim.hpp>

#include <gtest/gtest.h>

#include <once/testing/repeat_semantics.hpp>
#include <once/testing/scenario.hpp>

namespace claims::domain {
namespace {

using once::testing::scenario;

auto const claim_id = claim_id_for("P-7", "S-1");
claim_submitted const submitted{claim_id, "P-7", "POL-1", {10000, "EUR"}};

TEST(SubmittingAClaim, NamesTheClaimAfterTheClaimantsSubmission) {
  EXPECT_EQ(claim_id_for("P-7", "S-1"), claim_id);
  EXPECT_NE(claim_id_for("P-8", "S-1"), claim_id);
  scenario<claim>()
      .when(submit_claim{"S-1", "P-7", "POL-1", {10000, "EUR"}, "a broken window"})
      .then({submitted})
      .then_result(claim_view{claim_id, "P-7", "POL-1", {10000, "EUR"}, "submitted", std::nullopt, {0, "EUR"}});
}

TEST(SubmittingAClaim, IsRefusedForAnAmountThatIsNotPositive) {
  scenario<claim>().when(submit_claim{"S-1", "P-7", "POL-1", {0, "EUR"}, ""}).then_rejected("invalid_amount");
}

TEST(ApprovingADisbursement, IsRefusedBeyondTheClaimsAmount) {
  scenario<claim>()
      .given({submitted, disbursement_approved{claim_id + ".d1", claim_id, {6000, "EUR"}, "ACME"}})
      .when(approve_disbursement{claim_id, {4001, "EUR"}, "ACME"})
      .then_rejected("exceeds_claim");
}

TEST(ApprovingADisbursement, IsRefusedInAnotherCurrency) {
  scenario<claim>()
      .given({submitted})
      .when(approve_disbursement{claim_id, {100, "USD"}, "ACME"})
      .then_rejected("currency_mismatch");
}

TEST(ApprovingADisbursement, IsRefusedForAnUnknownClaim) {
  scenario<claim>().when(approve_disbursement{"C-0", {100, "EUR"}, "ACME"}).then_rejected("claim_not_found");
}

TEST(ApprovingADisbursement, NumbersItWithinTheClaim) {
  scenario<claim>()
      .given({submitted})
      .when(approve_disbursement{claim_id, {2500, "EUR"}, "ACME"})
      .then({disbursement_approved{claim_id + ".d1", claim_id, {2500, "EUR"}, "ACME"}})
      .then_result(disbursement_view{claim_id + ".d1", claim_id, {2500, "EUR"}, "ACME"});
}

TEST(RecordingAScreening, MovesTheClaimToScreened) {
  scenario<claim>()
      .given({submitted})
      .when(record_screening{claim_id, "flagged"})
      .then({claim_screened{claim_id, "flagged"}})
      .then_result(claim_view{claim_id, "P-7", "POL-1", {10000, "EUR"}, "screened", "flagged", {0, "EUR"}});
}

TEST(RecordingAScreening, OfAClaimThatDoesNotExistIsRefused) {
  scenario<claim>().when(record_screening{"C-0", "clear"}).then_rejected("claim_not_found");
}

TEST(ClaimCommands, AnswerRepeatsAsTheirTableSays) {
  once::testing::repeat_semantics<claim>()
      .sample(submit_claim{"S-1", "P-7", "POL-1", {10000, "EUR"}, "a broken window"})
      .sample(approve_disbursement{claim_id, {2500, "EUR"}, "ACME"}, {submitted})
      .sample(record_screening{claim_id, "clear"}, {submitted})
      .verify();
}

}  // namespace
}  // namespace claims::domain
