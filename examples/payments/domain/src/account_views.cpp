#include <payments/domain/account_views.hpp>

#include <payments/domain/ids.hpp>

namespace payments::domain {

account_view view_of(account_state const& account) {
  auto amount = [&](std::int64_t value) { return money{value, account.currency}; };
  return account_view{account.account_id,
                      account.currency,
                      amount(account.credit_limit),
                      amount(account.authorized_total),
                      amount(account.captured_total),
                      amount(account.paid_out_total)};
}

std::optional<payment_view> view_of_payment(account_state const& account, std::string const& payment_id) {
  auto const* found = account.payments.find(payment_id);
  if (found == nullptr) return std::nullopt;
  auto const& payment = *found;
  std::string status = payment.captured == 0               ? "authorized"
                       : payment.captured < payment.amount ? "partially_captured"
                                                           : "captured";
  return payment_view{payment_id,
                      account.account_id,
                      money{payment.amount, account.currency},
                      money{payment.captured, account.currency},
                      std::move(status),
                      payment.description};
}

}  // namespace payments::domain
