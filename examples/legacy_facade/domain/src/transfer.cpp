#include <legacy_facade/domain/transfer.hpp>

#include <algorithm>

namespace legacy_facade::domain {

using once::domain::emit;
using once::domain::reject;

bool is_valid_account(std::string_view id) noexcept {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_currency_code(std::string_view code) noexcept {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

transfer_view view_of(transfer_state const& state) {
  return {state.transfer_id, state.status, state.legacy_transfer_no, state.reference, state.amount, state.from_account,
          state.to_account,  state.code,   state.legacy_transfer_nos};
}

transfer::decision<> transfer::decide(current const&, create_transfer const& c, context const& ctx) {
  if (c.amount.value <= 0) return reject("invalid_amount", "amounts are positive");
  return emit(transfer_requested{ctx.aggregate_id, ctx.external_reference, c.from_account, c.to_account, c.amount});
}

transfer::decision<> transfer::conclude(current const&, create_transfer const&, outcome const& o, context const& ctx) {
  switch (o.what) {
    case outcome::kind::answered:
      return emit(transfer_completed{ctx.aggregate_id, o.answers.front().transfer_no});
    case outcome::kind::refused:
      // Answered as a rejection, stored and replayed; the transfer itself is failed, not left pending.
      return once::domain::reject_recording(reject("refused_by_core", o.refusal.detail),
                                            transfer_failed{ctx.aggregate_id, "refused_by_core"});
    case outcome::kind::duplicated: {
      std::vector<std::int64_t> numbers;
      for (auto const& each : o.answers) numbers.push_back(each.transfer_no);
      return emit(transfer_in_doubt{ctx.aggregate_id, "needs_review", std::move(numbers)});
    }
    case outcome::kind::unknown:
      break;
  }
  return emit(transfer_in_doubt{ctx.aggregate_id, "unknown", {}});
}

void transfer::apply(transfer_state& s, transfer_requested const& e) {
  s.transfer_id = e.transfer_id;
  s.status = "pending";
  s.reference = e.reference;
  s.from_account = e.from_account;
  s.to_account = e.to_account;
  s.amount = e.amount;
}

void transfer::apply(transfer_state& s, transfer_completed const& e) {
  s.status = "completed";
  s.legacy_transfer_no = e.legacy_transfer_no;
}

void transfer::apply(transfer_state& s, transfer_failed const& e) {
  s.status = "failed";
  s.code = e.code;
}

void transfer::apply(transfer_state& s, transfer_in_doubt const& e) {
  s.status = e.status;
  s.legacy_transfer_nos = e.legacy_transfer_nos;
}

}  // namespace legacy_facade::domain
