#include <payments/domain/account.hpp>

#include <limits>
#include <string>

#include <payments/domain/account_views.hpp>
#include <payments/domain/ids.hpp>

namespace payments::domain {
namespace {

using once::domain::emit;
using once::domain::reject;
using once::domain::rejection;

// Checks every command's amount the same way; nullopt when acceptable.
std::optional<rejection> check_amount(account_state const& account, money const& amount) {
  if (amount.currency != account.currency) {
    return reject("currency_mismatch", "the account is kept in " + account.currency + ", not " + amount.currency);
  }
  if (amount.value <= 0) return reject("invalid_amount", "amounts must be positive");
  return std::nullopt;
}

std::optional<rejection> check_description(std::string const& description) {
  if (description.size() > max_description_length) {
    return reject("invalid_description",
                  "descriptions are at most " + std::to_string(max_description_length) + " bytes");
  }
  return std::nullopt;
}

}  // namespace

account::decision<> account::decide(current const&, open_account const& command, context const&) {
  if (!is_valid_account_id(command.account_id)) {
    return reject("invalid_account_id", "account ids are 1-64 characters of A-Z a-z 0-9 _ -");
  }
  if (!is_currency_code(command.currency)) return reject("invalid_currency", "currencies are ISO 4217 codes");
  if (command.credit_limit < 0) return reject("invalid_amount", "the credit limit cannot be negative");
  return emit(account_opened{command.account_id, command.currency, command.credit_limit});
}

account::decision<> account::decide(current const& account, authorize_payment const& command, context const&) {
  if (auto refused = check_amount(*account, command.amount)) return *refused;
  if (auto refused = check_description(command.description)) return *refused;
  if (command.amount.value > account->credit_limit - account->authorized_total) {
    return reject("credit_limit_exceeded", "the payment exceeds the account's remaining credit");
  }
  auto const payment_id = payment_id_for(account->account_id, account->payments_authorized + 1);
  return emit(payment_authorized{payment_id, account->account_id, command.amount, command.description});
}

account::decision<> account::decide(current const& account, capture_payment const& command, context const&) {
  auto payment = view_of_payment(*account, command.payment_id);
  if (!payment.has_value()) return no_such_payment(command.payment_id);
  if (auto refused = check_amount(*account, command.amount)) return *refused;
  if (command.amount.value > payment->amount.value - payment->captured_amount.value) {
    return reject("capture_exceeds_authorization", "the capture exceeds what remains authorized on the payment");
  }
  return emit(payment_captured{command.payment_id, command.amount});
}

account::decision<> account::decide(current const& account, set_payment_description const& command, context const&) {
  auto payment = view_of_payment(*account, command.payment_id);
  if (!payment.has_value()) return no_such_payment(command.payment_id);
  if (auto refused = check_description(command.description)) return *refused;
  return emit(payment_description_set{command.payment_id, command.description});
}

account::decision<> account::decide(current const& account, pay_out const& command, context const&) {
  if (auto refused = check_amount(*account, command.amount)) return *refused;
  if (command.amount.value > account->captured_total - account->refunded_total.value_or(0) - account->paid_out_total) {
    return reject("insufficient_funds", "the payout exceeds the captured funds not yet paid out");
  }
  return emit(
      payout_made{payout_id_for(account->account_id, account->payouts_made + 1), account->account_id, command.amount});
}

void account::apply(account_state& account, account_opened const& event) {
  account.account_id = event.account_id;
  account.currency = event.currency;
  account.credit_limit = event.credit_limit;
}

void account::apply(account_state& account, payment_authorized const& event) {
  account.authorized_total += event.amount.value;
  account.payments_authorized += 1;
  account.payments.put(event.payment_id, payment_state{event.amount.value, 0, event.description});
}

void account::apply(account_state& account, payment_captured const& event) {
  account.captured_total += event.amount.value;
  account.payments.at(event.payment_id).captured += event.amount.value;
}

void account::apply(account_state& account, payment_description_set const& event) {
  account.payments.at(event.payment_id).description = event.description;
}

account::decision<> account::decide(current const& account, refund_payment const& command, context const&) {
  auto const* payment = account->payments.find(command.payment_id);
  if (payment == nullptr) return no_such_payment(command.payment_id);
  if (auto refused = check_amount(*account, command.amount)) return *refused;
  if (command.amount.value > payment->captured - payment->refunded.value_or(0)) {
    return reject("refund_exceeds_capture", "the refund exceeds what was captured and not yet refunded");
  }
  return emit(payment_refunded{command.payment_id, command.refund_id, command.amount});
}

void account::apply(account_state& account, payment_refunded const& event) {
  account.refunded_total = account.refunded_total.value_or(0) + event.amount.value;
  auto& payment = account.payments.at(event.payment_id);
  payment.refunded = payment.refunded.value_or(0) + event.amount.value;
}

void account::apply(account_state& account, payout_made const& event) {
  account.paid_out_total += event.amount.value;
  account.payouts_made += 1;
}

}  // namespace payments::domain
