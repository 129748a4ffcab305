// Payment and payout ids are numbered within their account ("A-1.p3",
// "A-1.o1"), so a payment id names the account aggregate that holds it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace payments::domain {

// 1 to 64 characters of [A-Za-z0-9_-].
[[nodiscard]] bool is_valid_account_id(std::string_view id) noexcept;
[[nodiscard]] std::string payment_id_for(std::string_view account_id, std::int64_t number);
[[nodiscard]] std::string payout_id_for(std::string_view account_id, std::int64_t number);
// The account part of a payment id; the whole id when it has none (no such account then exists).
[[nodiscard]] std::string account_of_payment(std::string_view payment_id);

}  // namespace payments::domain
