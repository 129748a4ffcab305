#include <claims/domain/claim.hpp>

#include <algorithm>
#include <cstdio>

namespace claims::domain {
namespace {

using once::domain::emit;
using once::domain::reject;

constexpr std::size_t max_id_length = 64;

}  // namespace

bool is_valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_id_length) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// FNV-1a over "claimant/submission": short, stable across processes and releases.
std::string claim_id_for(std::string_view claimant_id, std::string_view submission_id) {
  std::uint64_t hash = 14695981039346656037ULL;
  auto const mix = [&hash](std::string_view text) {
    for (char const c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
  };
  mix(claimant_id);
  mix("/");
  mix(submission_id);
  char id[24];
  std::snprintf(id, sizeof id, "C-%016llx", static_cast<unsigned long long>(hash));
  return id;
}

claim_view view_of(claim_state const& claim) {
  return {claim.claim_id,
          claim.claimant_id,
          claim.policy_id,
          claim.amount,
          claim.screening.has_value() ? "screened" : "submitted",
          claim.screening,
          {claim.disbursed, claim.amount.currency}};
}

disbursement_view view_of_disbursement(claim_state const& claim, std::int64_t number) {
  auto const id = claim.claim_id + ".d" + std::to_string(number);
  auto const found = claim.disbursement_records.find(id);
  if (found == claim.disbursement_records.end()) return {id, claim.claim_id, {}, {}};
  return {id, claim.claim_id, found->second.amount, found->second.payee};
}

once::domain::rejection no_such_claim(std::string const& claim_id) {
  return reject("claim_not_found", "no claim " + claim_id);
}

claim::decision<> claim::decide(current const&, submit_claim const& c, context const&) {
  if (!is_valid_id(c.claimant_id) || !is_valid_id(c.policy_id) || !is_valid_id(c.submission_id)) {
    return reject("invalid_id", "ids are 1-64 characters of A-Z a-z 0-9 _ -");
  }
  if (c.amount.value <= 0 || !is_currency_code(c.amount.currency)) {
    return reject("invalid_amount", "amounts are positive minor units of an ISO 4217 currency");
  }
  return emit(claim_submitted{claim_id_for(c.claimant_id, c.submission_id), c.claimant_id, c.policy_id, c.amount});
}

claim::decision<> claim::decide(current const& claim, approve_disbursement const& c, context const&) {
  if (!is_valid_id(c.payee)) return reject("invalid_id", "payees are 1-64 characters of A-Z a-z 0-9 _ -");
  if (c.amount.value <= 0) return reject("invalid_amount", "amounts are positive");
  if (c.amount.currency != claim->amount.currency) {
    return reject("currency_mismatch", "the claim is in " + claim->amount.currency + ", not " + c.amount.currency);
  }
  if (c.amount.value > claim->amount.value - claim->disbursed) {
    return reject("exceeds_claim", "the disbursements would exceed the claim's amount");
  }
  return emit(disbursement_approved{claim->claim_id + ".d" + std::to_string(claim->disbursements + 1), c.claim_id,
                                    c.amount, c.payee});
}

claim::decision<> claim::decide(current const&, record_screening const& c, context const&) {
  if (c.result != "clear" && c.result != "flagged") return reject("invalid_result", "a screening is clear or flagged");
  return emit(claim_screened{c.claim_id, c.result});
}

void claim::apply(claim_state& claim, claim_submitted const& e) {
  claim.claim_id = e.claim_id;
  claim.claimant_id = e.claimant_id;
  claim.policy_id = e.policy_id;
  claim.amount = e.amount;
}

void claim::apply(claim_state& claim, disbursement_approved const& e) {
  claim.disbursed += e.amount.value;
  claim.disbursements += 1;
  claim.disbursement_records[e.disbursement_id] = {e.amount, e.payee};
}

void claim::apply(claim_state& claim, claim_screened const& e) {
  claim.screening = e.result;
}

}  // namespace claims::domain
