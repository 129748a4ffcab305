// The representations of an account and of one of its payments.
#pragma once

#include <optional>
#include <string>

#include <payments/domain/account_state.hpp>
#include <payments/domain/views.hpp>

namespace payments::domain {

[[nodiscard]] account_view view_of(account_state const& account);
// The payment's view, or nothing when the account holds no such payment.
[[nodiscard]] std::optional<payment_view> view_of_payment(account_state const& account, std::string const& payment_id);

}  // namespace payments::domain
